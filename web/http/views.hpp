#pragma once
// uw::web::views — HTML rendering of plain view models (no I/O, no Service).
// Every function returns a complete UTF-8 document or fragment; all user text
// is escaped here (web/http/html.hpp). No inline <script>, style="" or on* handlers:
// the CSP forbids them, behaviour lives in /static/app.js.
//
// Threading: pure functions, any thread.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/store/store.hpp"
#include "web/http/fragments.hpp"
#include "web/service/service.hpp"

namespace uw::web::views {

// What every page shares: <head>, top bar (brand, search box, nav) and footer.
struct Frame {
  std::string title;             // "Home" -> <title>Home · Uwitter</title>
  std::string description;       // <meta name="description"> ("" = none)
  std::optional<Viewer> viewer;  // logged in?
  std::string csrf;              // form token (logout button, page forms)
  std::string search_q;          // prefilled search box
  int64_t now_ms = 0;            // for relative times
  // Live notifications (logged in and --notifier-url set): the viewer's
  // notifier's base URL and a fresh subscription ticket, embedded in the
  // #notif hook so /static/notify.js can connect without another request.
  // Empty = no hook. With several notifiers, notifier_urls is the viewer's
  // whole order (notifier_url first), embedded as data-notifier-urls.
  std::string notifier_url;
  std::string ticket;
  std::vector<std::string> notifier_urls;
  // Rendered uweets to reuse (owned by the caller; null = render every uweet).
  UweetFragments* fragments = nullptr;
  // Which @names are users (owned by the caller; null = link every @name).
  const Mentions* mentions = nullptr;
};

// A newest-first list of uweets with an "Older" link.
struct TimelineView {
  std::vector<Uweet> items;
  std::optional<int64_t> next_before;
  std::string older_base;  // "/?" or "/search?q=x&": "before=<id>" is appended
  std::string empty_text;  // shown when items is empty
};

struct ComposeView {
  std::string text;   // kept on error
  std::string error;  // "" = none
};

struct HomeView {
  ComposeView compose;  // logged in only
  TimelineView timeline;
};

struct AuthFormView {
  bool register_form = false;  // false: log in
  std::string username;        // kept on error (never the password)
  std::string error;
  std::string next;  // where to go after logging in ("" = /)
};

struct ProfileView {
  Profile profile;
  TimelineView uweets;
  std::string error;  // e.g. a failed follow
};

struct PeopleView {
  std::string username;   // whose list
  bool followers = true;  // false: following
  std::vector<User> users;
  std::optional<int64_t> next_before;
};

struct SearchView {
  std::string q;
  bool searched = false;
  std::string error;
  TimelineView results;
};

// /notifications: a page of the stored history (rendered without JavaScript),
// plus the live hook's data when a notifier is configured.
struct NotificationsView {
  std::string notifier_url;                // "" = live notifications unavailable
  std::string ticket;                      // subscription ticket ("" = ask the API)
  NotificationList list;                   // the page shown, the read marker, the unread count
  bool older = false;                      // a page after the first (?before=)
  std::string error;                       // e.g. a failed "mark as read"
  std::vector<std::string> notifier_urls;  // the viewer's order, notifier_url first (see Frame)
};

// The settings page: the profile form, with what was typed kept on error.
struct SettingsView {
  std::string display_name;
  std::string bio;
  std::string error;
  bool saved = false;
  std::string password_error;
  bool password_changed = false;
};

// A uweet's own page (/u/<name>/<id>).
struct UweetPageView {
  Uweet uweet;
};

// "Delete this uweet?" (GET /delete/<id>), for its author.
struct DeleteView {
  Uweet uweet;
  std::string error;
};

// The account delete confirmation (GET /settings/delete), shown again with
// what to fix (never the password).
struct DeleteAccountView {
  std::string username;
  int64_t name_reserved_days = 30;
  std::string error;
};

struct ErrorView {
  int status = 404;
  std::string heading;  // "Page not found"
  std::string message;  // a sentence that says what to do
  std::optional<int64_t> retry_after_s;
};

// Whole documents.
std::string home(const Frame& f, const HomeView& v);
std::string auth_form(const Frame& f, const AuthFormView& v);
std::string profile(const Frame& f, const ProfileView& v);
std::string people(const Frame& f, const PeopleView& v);
std::string search(const Frame& f, const SearchView& v);
std::string notifications(const Frame& f, const NotificationsView& v);
std::string error_page(const Frame& f, const ErrorView& v);
std::string uweet_page(const Frame& f, const UweetPageView& v);
std::string settings(const Frame& f, const SettingsView& v);
std::string delete_confirm(const Frame& f, const DeleteView& v);
std::string delete_account_confirm(const Frame& f, const DeleteAccountView& v);
// After the delete: the visitor is logged out.
std::string account_deleted(const Frame& f, const DeleteAccountView& v);

// Fragments (exposed for tests).
std::string layout(const Frame& f, const std::string& main_html);
// own_id: the viewer's user id (0 = anonymous): their own uweets get a Delete link.
std::string timeline(const TimelineView& t, int64_t now_ms, UweetFragments* fragments = nullptr,
                     const Mentions* mentions = nullptr, int64_t own_id = 0);
std::string uweet_item(const Uweet& u, int64_t now_ms, const Mentions* mentions = nullptr,
                       int64_t own_id = 0);
// "/u/<author>/<id>": the uweet's permalink.
std::string uweet_href(const Uweet& u);
std::string csrf_field(const std::string& token);

}  // namespace uw::web::views
