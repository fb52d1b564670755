// uw::web::ServiceImpl: the stored notification history (docs/STORAGE.md
// "Notifications"): a page of it with the read marker and the unread count
// from a reader thread, and the marker moved by the writer.
#include <algorithm>

#include "web/service/service_impl.hpp"

namespace uw::web {

void ServiceImpl::notifications(const Viewer& v, std::optional<NotificationKey> before, int limit,
                                Done<NotificationList> done) {
  limit = std::clamp(limit, 1, 100);
  readers_->call<NotificationList>(
      [id = v.user_id, before, limit](Store& s) {
        NotificationList out;
        out.page = s.notifications(id, before, limit);
        out.read_upto = s.notifications_read_upto(id);
        out.unread = s.unread_notifications(id);
        return out;
      },
      [this, done = std::move(done)](Result<NotificationList> r) {
        if (r) {
          for (auto& n : r->page.items)
            if (n.uweet) decorate(*n.uweet);
        }
        done(std::move(r));
      });
}

void ServiceImpl::mark_notifications_read(const Viewer& v, NotificationKey up_to,
                                          Done<NotificationKey> done) {
  writer_->call<NotificationKey>(
      [id = v.user_id, up_to](Store& s) { return s.mark_notifications_read(id, up_to); }, std::move(done));
}

}  // namespace uw::web
