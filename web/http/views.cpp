#include "web/http/views.hpp"

#include <string_view>

#include "web/http/assets.hpp"
#include "web/http/html.hpp"

namespace uw::web::views {
namespace {

using html::escape;

std::string avatar(std::string_view name, bool big = false) {
  unsigned h = 0;
  for (unsigned char c : name) h = h * 31 + (c | 0x20);
  std::string out =
      "<span class=\"av av" + std::to_string(h % 8) + (big ? " big" : "") + "\" aria-hidden=\"true\">";
  if (!name.empty()) html::append_escaped(out, name.substr(0, 1));
  out += "</span>";
  return out;
}

std::string user_href(std::string_view name) { return "/u/" + html::url_component(name); }

std::string plural(int64_t n, const char* one, const char* many) {
  return "<b>" + std::to_string(n) + "</b> " + (n == 1 ? one : many);
}

int64_t own_id(const Frame& f) { return f.viewer ? f.viewer->user_id : 0; }

std::string error_box(const std::string& msg) {
  if (msg.empty()) return "";
  return "<p class=\"error\" role=\"alert\">" + escape(msg) + "</p>";
}

std::string compose_form(const Frame& f, const ComposeView& c) {
  std::string out = "<form class=\"card compose\" method=\"post\" action=\"/post\">";
  out += csrf_field(f.csrf);
  out += error_box(c.error);
  out += "<label for=\"uweet-text\" class=\"sr\">Your uweet (at most 141 characters)</label>";
  out +=
      "<textarea id=\"uweet-text\" name=\"text\" rows=\"3\" placeholder=\"What&#39;s happening?\" required";
  out += " aria-describedby=\"uweet-counter\">";
  out += escape(c.text);
  out += "</textarea><div class=\"row\">";
  out +=
      "<output id=\"uweet-counter\" class=\"counter\" for=\"uweet-text\" aria-live=\"polite\" "
      "hidden>141</output>";
  out += "<button type=\"submit\">Uweet</button></div></form>";
  return out;
}

// With more than one notifier: the viewer's order as data-notifier-urls
// (space-separated; notify.js moves along it when one is down). Nothing with
// one, so the single-notifier hook stays as it was.
std::string notifier_list_attr(const std::vector<std::string>& urls) {
  if (urls.size() < 2) return "";
  std::string joined;
  for (const auto& u : urls) joined += (joined.empty() ? "" : " ") + u;
  return " data-notifier-urls=\"" + escape(joined) + "\"";
}

}  // namespace

std::string csrf_field(const std::string& token) {
  return "<input type=\"hidden\" name=\"csrf\" value=\"" + escape(token) + "\">";
}

std::string layout(const Frame& f, const std::string& main_html) {
  std::string out;
  out.reserve(main_html.size() + 4096);
  out += "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">";
  out += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">";
  out += "<meta name=\"color-scheme\" content=\"light dark\">";
  out += "<title>" + escape(f.title) + " · Uwitter</title>";
  if (!f.description.empty()) out += "<meta name=\"description\" content=\"" + escape(f.description) + "\">";
  for (const auto& a : assets()) {
    if (a.name == "app.css") out += "<link rel=\"stylesheet\" href=\"" + a.url + "\">";
    if (a.name == "favicon.svg") out += "<link rel=\"icon\" type=\"image/svg+xml\" href=\"" + a.url + "\">";
  }
  for (const auto& a : assets()) {
    if (a.in_every_page) out += "<script src=\"" + a.url + "\" defer></script>";
  }
  out += "</head><body><header class=\"top\"><div class=\"bar\">";
  out += "<a class=\"brand\" href=\"/\"><span class=\"logo\" aria-hidden=\"true\">u</span>Uwitter</a>";
  out += "<form class=\"search\" method=\"get\" action=\"/search\" role=\"search\">";
  out += "<label for=\"q\" class=\"sr\">Search uweets</label>";
  out += "<input id=\"q\" type=\"search\" name=\"q\" placeholder=\"Search uweets\" value=\"" +
         escape(f.search_q) + "\">";
  out += "</form><nav class=\"links\" aria-label=\"Main\">";
  if (f.viewer) {
    out += "<a href=\"/\">Home</a><a href=\"/notifications\">Notifications</a>";
    out += "<a class=\"me\" href=\"" + user_href(f.viewer->username) + "\">@" + escape(f.viewer->username) +
           "</a><a href=\"/settings\">Settings</a>";
    out += "<form method=\"post\" action=\"/accounts/logout\">" + csrf_field(f.csrf);
    out += "<button type=\"submit\" class=\"link\">Log out</button></form>";
  } else {
    out += "<a href=\"/accounts/login\">Log in</a><a class=\"btn\" href=\"/accounts/register\">Sign up</a>";
  }
  out += "</nav></div></header>";
  if (f.viewer && !f.notifier_url.empty()) {
    // Hook for live notifications (/static/notify.js fills it).
    out += "<div id=\"notif\" data-ticket-url=\"/api/v1/notifications/ticket\" data-notifier-url=\"";
    out += escape(f.notifier_url) + "\"";
    if (!f.ticket.empty()) out += " data-ticket=\"" + escape(f.ticket) + "\"";
    out += notifier_list_attr(f.notifier_urls);
    out += " hidden></div>";
  }
  out += "<main class=\"col\" id=\"main\">";
  out += main_html;
  out +=
      "</main><footer class=\"foot\">Uwitter · 141 characters, one more than you "
      "need.</footer></body></html>\n";
  return out;
}

UweetParts uweet_parts(const Uweet& u, const Mentions* mentions) {
  UweetParts p;
  // data-author-id: a page drops every uweet of a deleted account (notify.js).
  p.head = "<li class=\"uweet\" id=\"uweet-" + std::to_string(u.id) + "\" data-author-id=\"" +
           std::to_string(u.author_id) + "\">";
  p.head += avatar(u.author);
  p.head += "<article class=\"body\"><div class=\"meta\">";
  if (!u.author_display.empty())
    p.head += "<span class=\"display-name\">" + escape(u.author_display) + "</span> ";
  p.head += "<a class=\"author\" href=\"" + user_href(u.author) + "\">@";
  const std::string iso = html::iso_time(u.created_at);
  // The time links to the uweet's own page (its permalink).
  p.head += escape(u.author) + "</a><a class=\"permalink\" href=\"" + uweet_href(u) + "\">";
  p.head += "<time class=\"when\" datetime=\"" + iso + "\" data-ms=\"";
  p.head += std::to_string(u.created_at) + "\" title=\"" + iso + "\">";
  static const html::UserExists kLinkAll;
  bool unlinked = false;
  p.tail = "</time></a></div><p class=\"text\">" +
           html::uweet_text(u.text, mentions ? mentions->exists : kLinkAll, &unlinked) + "</p>";
  p.display = u.author_display;
  p.checked = mentions != nullptr;
  p.unlinked = unlinked;
  p.has_at = u.text.find('@') != std::string::npos;
  p.users_version = mentions ? mentions->version : 0;
  p.removed_version = mentions ? mentions->removed_version : 0;
  return p;
}

std::string uweet_href(const Uweet& u) { return user_href(u.author) + "/" + std::to_string(u.id); }

namespace {
// After a uweet's shared markup: what only its author sees (the delete link
// to a confirmation page, so it works without JavaScript), then the close.
void close_item(std::string& out, const Uweet& u, int64_t own_id) {
  if (own_id != 0 && u.author_id == own_id) {
    out += "<p class=\"uweet-actions\"><a class=\"delete\" href=\"/delete/" + std::to_string(u.id) +
           "\">Delete</a></p>";
  }
  out += "</article></li>";
}
}  // namespace

std::string uweet_item(const Uweet& u, int64_t now_ms, const Mentions* mentions, int64_t own_id) {
  UweetParts p = uweet_parts(u, mentions);
  std::string out = p.head + html::relative_time(u.created_at, now_ms) + p.tail;
  close_item(out, u, own_id);
  return out;
}

std::string timeline(const TimelineView& t, int64_t now_ms, UweetFragments* fragments,
                     const Mentions* mentions, int64_t own_id) {
  if (t.items.empty()) return "<p class=\"card empty\">" + escape(t.empty_text) + "</p>";
  std::string out = "<ol class=\"uweets\">";
  for (const auto& u : t.items) {
    if (fragments) {
      const UweetParts& p = fragments->get(u, mentions);
      out += p.head;
      out += html::relative_time(u.created_at, now_ms);
      out += p.tail;
      close_item(out, u, own_id);
    } else {
      out += uweet_item(u, now_ms, mentions, own_id);
    }
  }
  out += "</ol>";
  if (t.next_before) {
    out +=
        "<p class=\"pager\"><a class=\"btn ghost\" rel=\"next\" href=\"" + escape(t.older_base) + "before=";
    out += std::to_string(*t.next_before) + "\">Older uweets</a></p>";
  }
  return out;
}

std::string home(const Frame& f, const HomeView& v) {
  std::string main;
  if (f.viewer) {
    main += "<h1 class=\"sr\">Home</h1>";
    main += compose_form(f, v.compose);
  } else {
    main += "<section class=\"card hero\"><h1>What&#39;s happening, in 141 characters</h1>";
    main += "<p class=\"muted\">Follow people, read their uweets, and say what&#39;s on your mind.</p>";
    main += "<p class=\"actions\"><a class=\"btn\" href=\"/accounts/register\">Create an account</a>";
    main += "<a class=\"btn ghost\" href=\"/accounts/login\">Log in</a></p></section>";
    main += "<h2>Latest from everyone</h2>";
  }
  main += timeline(v.timeline, f.now_ms, f.fragments, f.mentions, own_id(f));
  return layout(f, main);
}

std::string auth_form(const Frame& f, const AuthFormView& v) {
  const bool reg = v.register_form;
  std::string main = "<section class=\"card auth\"><h1>";
  main += reg ? "Create your account" : "Log in to Uwitter";
  main += "</h1>" + error_box(v.error);
  main += "<form method=\"post\" action=\"";
  main += reg ? "/accounts/register" : "/accounts/login";
  main += "\">" + csrf_field(f.csrf);
  if (!v.next.empty()) main += "<input type=\"hidden\" name=\"next\" value=\"" + escape(v.next) + "\">";
  main += "<div class=\"field\"><label for=\"username\">Username</label>";
  main += "<input id=\"username\" type=\"text\" name=\"username\" value=\"" + escape(v.username) + "\"";
  main += " autocomplete=\"username\" autocapitalize=\"none\" spellcheck=\"false\" required";
  if (reg) main += " maxlength=\"15\" pattern=\"[A-Za-z0-9_]{1,15}\" aria-describedby=\"username-hint\"";
  main += ">";
  if (reg) main += "<p class=\"hint\" id=\"username-hint\">1–15 letters, digits or _.</p>";
  main += "</div><div class=\"field\"><label for=\"password\">Password</label>";
  main += "<input id=\"password\" type=\"password\" name=\"password\" required autocomplete=\"";
  main += reg ? "new-password\" minlength=\"8\" aria-describedby=\"password-hint\">" : "current-password\">";
  if (reg) main += "<p class=\"hint\" id=\"password-hint\">At least 8 characters.</p>";
  main += "</div><button type=\"submit\">";
  main += reg ? "Sign up" : "Log in";
  main += "</button></form><p class=\"muted\">";
  main += reg ? "Already have an account? <a href=\"/accounts/login\">Log in</a>"
              : "New here? <a href=\"/accounts/register\">Create an account</a>";
  main += "</p></section>";
  return layout(f, main);
}

std::string profile(const Frame& f, const ProfileView& v) {
  const auto& p = v.profile;
  const std::string href = user_href(p.user.username);
  std::string main = "<section class=\"card\"><div class=\"profile\">" + avatar(p.user.username, true);
  main += "<div class=\"who\"><h1>@" + escape(p.user.username) + "</h1>";
  if (!p.user.display_name.empty())
    main += "<p class=\"display-name\">" + escape(p.user.display_name) + "</p>";
  if (!p.user.bio.empty()) main += "<p class=\"bio\">" + escape(p.user.bio) + "</p>";
  if (p.user.created_at > 0) {
    main += "<p class=\"muted\">Joined " + html::month_year(p.user.created_at * 1000) + "</p>";
  }
  main += "</div>";
  if (f.viewer && p.is_self) {
    main += "<a class=\"btn ghost\" href=\"/settings\">Edit profile</a>";
  } else if (f.viewer) {
    const bool follows = p.viewer_follows;
    main += "<form method=\"post\" action=\"/" + std::string(follows ? "unfollow" : "follow") + "/" +
            html::url_component(p.user.username) + "\">" + csrf_field(f.csrf);
    main += follows ? "<button type=\"submit\" class=\"ghost\">Unfollow</button>"
                    : "<button type=\"submit\">Follow</button>";
    main += "</form>";
  } else {
    main += "<a class=\"btn\" href=\"/accounts/login?next=" + html::url_component(href) +
            "\">Log in to follow</a>";
  }
  main += "</div><ul class=\"stats\">";
  main += "<li><span>" + plural(p.counts.uweets, "uweet", "uweets") + "</span></li>";
  main += "<li><a href=\"" + href + "/followers\">" + plural(p.counts.followers, "follower", "followers") +
          "</a></li>";
  main += "<li><a href=\"" + href + "/following\">" + plural(p.counts.following, "following", "following") +
          "</a></li>";
  main += "</ul></section>" + error_box(v.error);
  main += timeline(v.uweets, f.now_ms, f.fragments, f.mentions, own_id(f));
  return layout(f, main);
}

std::string people(const Frame& f, const PeopleView& v) {
  const std::string href = user_href(v.username);
  std::string main = "<h1>" + std::string(v.followers ? "People following " : "People followed by ");
  main += "<a href=\"" + href + "\">@" + escape(v.username) + "</a></h1>";
  if (v.users.empty()) {
    main += "<p class=\"card empty\">";
    main += v.followers ? "No followers yet." : "Not following anyone yet.";
    main += "</p>";
  } else {
    main += "<ul class=\"people\">";
    for (const auto& u : v.users) {
      main += "<li>" + avatar(u.username) + "<a href=\"" + user_href(u.username) + "\">@" +
              escape(u.username) + "</a></li>";
    }
    main += "</ul>";
  }
  if (v.next_before) {
    main += "<p class=\"pager\"><a class=\"btn ghost\" rel=\"next\" href=\"" + href +
            (v.followers ? "/followers" : "/following");
    main += "?before=" + std::to_string(*v.next_before) + "\">More</a></p>";
  }
  return layout(f, main);
}

std::string search(const Frame& f, const SearchView& v) {
  std::string main = "<h1>Search</h1>";
  main += "<form class=\"card\" method=\"get\" action=\"/search\" role=\"search\"><div class=\"field\">";
  main += "<label for=\"q2\">Words to look for</label><input id=\"q2\" type=\"search\" name=\"q\" value=\"";
  main += escape(v.q) + "\"></div><button type=\"submit\">Search</button></form>";
  main += error_box(v.error);
  if (v.searched && v.error.empty()) {
    main += "<h2>Uweets matching “" + escape(v.q) + "”</h2>";
    main += timeline(v.results, f.now_ms, f.fragments, f.mentions, own_id(f));
  }
  return layout(f, main);
}

namespace {
// One entry of the history: who did what, when, and the uweet it is about.
std::string notification_item(const Frame& f, const Notification& n, bool unread) {
  const std::string key = std::to_string(n.key.pos) + "." + std::to_string(n.key.sub);
  const char* kind = n.kind == NotificationKind::follow    ? "follow"
                     : n.kind == NotificationKind::mention ? "mention"
                                                           : "uweet";
  std::string out = "<li class=\"notif notif-" + std::string(kind) + (unread ? " unread" : "") +
                    "\" data-key=\"" + key + "\"";
  if (n.uweet) out += " data-uweet-id=\"" + std::to_string(n.uweet->id) + "\"";
  out += ">";
  if (unread) out += "<span class=\"notif-new\">New</span> ";
  out += "<a href=\"" + user_href(n.actor) + "\">@" + escape(n.actor) + "</a>";
  if (n.kind == NotificationKind::follow) {
    out += " followed you · <time datetime=\"" + html::iso_time(n.created_at) + "\">" +
           html::relative_time(n.created_at, f.now_ms) + "</time>";
  } else {
    out += n.kind == NotificationKind::mention ? " mentioned you:" : " uweeted:";
  }
  if (n.uweet)
    out += "<ol class=\"uweets\">" + uweet_item(*n.uweet, f.now_ms, f.mentions, own_id(f)) + "</ol>";
  out += "</li>";
  return out;
}
}  // namespace

std::string notifications(const Frame& f, const NotificationsView& v) {
  std::string main = "<h1>Notifications</h1>";
  if (v.notifier_url.empty()) {
    main +=
        "<p class=\"card notice\">Live notifications are unavailable on this server: new ones show here when "
        "you reload. Your home timeline always has every uweet.</p>";
  }
  main += error_box(v.error);
  main += "<section class=\"card\" id=\"notifications\"";
  if (!v.notifier_url.empty()) {
    main += " data-ticket-url=\"/api/v1/notifications/ticket\" data-notifier-url=\"" +
            escape(v.notifier_url) + "\"";
    if (!v.ticket.empty()) main += " data-ticket=\"" + escape(v.ticket) + "\"";
    main += notifier_list_attr(v.notifier_urls);
  }
  main += "><p id=\"notif-status\" class=\"muted\" aria-live=\"polite\">";
  const auto& items = v.list.page.items;
  if (v.list.unread > 0) {
    main += v.list.unread >= kUnreadCountCap ? std::to_string(kUnreadCountCap) + "+"
                                             : std::to_string(v.list.unread);
    main += " unread";
  } else if (items.empty() && !v.older) {
    main += "Nothing yet. Notifications appear here when people you follow post, follow you or mention you.";
  } else {
    main += "All read.";
  }
  main += "</p>";
  if (v.list.unread > 0 && !items.empty() && !v.older) {
    const auto& top = items.front().key;
    main += "<form method=\"post\" action=\"/notifications/read\" class=\"row\">" + csrf_field(f.csrf);
    main += "<input type=\"hidden\" name=\"up_to\" value=\"" + std::to_string(top.pos) + "." +
            std::to_string(top.sub) + "\">";
    main += "<button type=\"submit\" class=\"btn ghost\">Mark all as read</button></form>";
  }
  main += "<ol id=\"notif-items\" class=\"notif-list\">";
  for (const auto& n : items) main += notification_item(f, n, v.list.read_upto < n.key);
  main += "</ol>";
  if (v.list.page.next_before) {
    const auto& nb = *v.list.page.next_before;
    main += "<p class=\"pager\"><a class=\"btn ghost\" rel=\"next\" href=\"/notifications?before=" +
            std::to_string(nb.pos) + "." + std::to_string(nb.sub) + "\">Older notifications</a></p>";
  }
  main += "</section>";
  return layout(f, main);
}

std::string settings(const Frame& f, const SettingsView& v) {
  std::string main = "<section class=\"card\"><h1>Your profile</h1>";
  main += error_box(v.error);
  if (v.saved) main += "<p class=\"notice\" role=\"status\">Saved.</p>";
  main += "<form method=\"post\" action=\"/settings/profile\">" + csrf_field(f.csrf);
  main += "<div class=\"field\"><label for=\"display_name\">Display name</label>";
  main += "<input id=\"display_name\" type=\"text\" name=\"display_name\" value=\"" + escape(v.display_name) +
          "\" aria-describedby=\"display-name-hint\">";
  main +=
      "<p class=\"hint\" id=\"display-name-hint\">Shown beside your @name; at most 50 characters, or "
      "empty.</p>";
  main += "</div><div class=\"field\"><label for=\"bio\">Bio</label>";
  main += "<textarea id=\"bio\" name=\"bio\" rows=\"3\" aria-describedby=\"bio-hint\">" + escape(v.bio) +
          "</textarea>";
  main += "<p class=\"hint\" id=\"bio-hint\">On your profile; at most 160 characters, or empty.</p></div>";
  main += "<button type=\"submit\">Save profile</button></form></section>";
  main += "<section class=\"card\"><h2>Change your password</h2>";
  main += error_box(v.password_error);
  if (v.password_changed)
    main += "<p class=\"notice\" role=\"status\">Password changed. You are logged out everywhere else.</p>";
  main += "<form method=\"post\" action=\"/settings/password\">" + csrf_field(f.csrf);
  main += "<div class=\"field\"><label for=\"current_password\">Current password</label>";
  main +=
      "<input id=\"current_password\" type=\"password\" name=\"current_password\" required "
      "autocomplete=\"current-password\"></div>";
  main += "<div class=\"field\"><label for=\"new_password\">New password</label>";
  main +=
      "<input id=\"new_password\" type=\"password\" name=\"new_password\" required minlength=\"8\" "
      "autocomplete=\"new-password\"></div>";
  main += "<div class=\"field\"><label for=\"new_password_again\">New password again</label>";
  main +=
      "<input id=\"new_password_again\" type=\"password\" name=\"new_password_again\" required "
      "minlength=\"8\" autocomplete=\"new-password\"></div>";
  main +=
      "<p class=\"hint\">Every other browser and API token logged in as you is logged out; this one "
      "stays.</p>";
  main += "<button type=\"submit\">Change password</button></form></section>";
  main += "<section class=\"card\"><h2>Delete your account</h2>";
  main +=
      "<p class=\"muted\">Your uweets, follows and sessions go, for good. You are asked for your password "
      "first.</p>";
  main += "<p class=\"actions\"><a class=\"btn ghost\" href=\"/settings/delete\">Delete my account…</a></p>";
  main += "</section>";
  return layout(f, main);
}

std::string delete_account_confirm(const Frame& f, const DeleteAccountView& v) {
  std::string main = "<section class=\"card\"><h1>Delete your account?</h1>";
  main += error_box(v.error);
  main +=
      "<p>This removes every uweet of yours (from every timeline and search at once), everyone you follow "
      "and who follows you, the mentions of you, and every session and API token of yours. It cannot be "
      "undone.</p>";
  main += "<p class=\"muted\">The name @" + escape(v.username) + " stays reserved for " +
          std::to_string(v.name_reserved_days) +
          " days, so that links and mentions do not pass to someone else at once.</p>";
  main += "<form method=\"post\" action=\"/settings/delete\">" + csrf_field(f.csrf);
  main += "<div class=\"field\"><label for=\"password\">Your password</label>";
  main +=
      "<input id=\"password\" type=\"password\" name=\"password\" required "
      "autocomplete=\"current-password\"></div>";
  main +=
      "<div class=\"field\"><label><input type=\"checkbox\" name=\"confirm\" value=\"yes\" required> "
      "Yes, delete my account and everything in it</label></div>";
  main += "<p class=\"actions\"><button type=\"submit\" class=\"danger\">Delete my account</button>";
  main += "<a class=\"btn ghost\" href=\"/settings\">Cancel</a></p></form></section>";
  return layout(f, main);
}

std::string account_deleted(const Frame& f, const DeleteAccountView& v) {
  std::string main = "<section class=\"card hero\"><h1>Your account is deleted</h1>";
  main += "<p>Everything of @" + escape(v.username) + " is gone, and you are logged out.</p>";
  main +=
      "<p class=\"muted\">The name stays reserved for " + std::to_string(v.name_reserved_days) + " days.</p>";
  main += "<p class=\"actions\"><a class=\"btn\" href=\"/\">Go to the home page</a></p></section>";
  return layout(f, main);
}

std::string uweet_page(const Frame& f, const UweetPageView& v) {
  std::string main = "<h1 class=\"sr\">Uweet by @" + escape(v.uweet.author) + "</h1>";
  main += "<ol class=\"uweets single\">" + uweet_item(v.uweet, f.now_ms, f.mentions, own_id(f)) + "</ol>";
  main += "<p class=\"pager\"><a class=\"btn ghost\" href=\"" + user_href(v.uweet.author) + "\">More from @" +
          escape(v.uweet.author) + "</a></p>";
  return layout(f, main);
}

std::string delete_confirm(const Frame& f, const DeleteView& v) {
  std::string main = "<section class=\"card\"><h1>Delete this uweet?</h1>";
  main +=
      "<p class=\"muted\">It goes from every timeline, search and notification list at once; this cannot be "
      "undone.</p>";
  main += error_box(v.error);
  main += "<ol class=\"uweets single\">" + uweet_item(v.uweet, f.now_ms, f.mentions) + "</ol>";
  main += "<form method=\"post\" action=\"/delete/" + std::to_string(v.uweet.id) + "\">" + csrf_field(f.csrf);
  main += "<p class=\"actions\"><button type=\"submit\" class=\"danger\">Delete</button>";
  main += "<a class=\"btn ghost\" href=\"" + uweet_href(v.uweet) + "\">Cancel</a></p></form></section>";
  return layout(f, main);
}

std::string error_page(const Frame& f, const ErrorView& v) {
  std::string main =
      "<section class=\"card hero\"><p class=\"big-status\">" + std::to_string(v.status) + "</p>";
  main += "<h1>" + escape(v.heading) + "</h1><p>" + escape(v.message) + "</p>";
  if (v.retry_after_s) {
    main += "<p class=\"muted\">You can try again in " + std::to_string(*v.retry_after_s) + " seconds.</p>";
  }
  main += "<p class=\"actions\"><a class=\"btn\" href=\"/\">Go to the home page</a></p></section>";
  return layout(f, main);
}

}  // namespace uw::web::views
