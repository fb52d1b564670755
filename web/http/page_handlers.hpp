#pragma once
// The handlers of the table's HTML entries (web/http/routes.cpp), by concern:
// timelines (pages_timeline.cpp), people (pages_people.cpp), one uweet
// (pages_uweet.cpp), settings (pages_settings.cpp), search (pages_search.cpp) and accounts
// (pages_accounts.cpp). Each is called by Pages after the session and (for POST) the Origin and CSRF checks
// passed. Threading: loop thread only.
#include "web/http/page_site.hpp"

namespace uw::web::pages {

void home(const SitePtr& s, const CtxPtr& c);                     // GET /
void post(const SitePtr& s, const CtxPtr& c);                     // POST /post
void notifications(const SitePtr& s, const CtxPtr& c);            // GET /notifications
void mark_notifications_read(const SitePtr& s, const CtxPtr& c);  // POST /notifications/read

void profile(const SitePtr& s, const CtxPtr& c);    // GET /u/:name
void followers(const SitePtr& s, const CtxPtr& c);  // GET /u/:name/followers
void following(const SitePtr& s, const CtxPtr& c);  // GET /u/:name/following
void follow(const SitePtr& s, const CtxPtr& c);     // POST /follow/:name
void unfollow(const SitePtr& s, const CtxPtr& c);   // POST /unfollow/:name

void search(const SitePtr& s, const CtxPtr& c);  // GET /search

void settings(const SitePtr& s, const CtxPtr& c);             // GET /settings
void save_profile(const SitePtr& s, const CtxPtr& c);         // POST /settings/profile
void change_password(const SitePtr& s, const CtxPtr& c);      // POST /settings/password
void delete_account_form(const SitePtr& s, const CtxPtr& c);  // GET /settings/delete (confirmation)
void delete_account(const SitePtr& s, const CtxPtr& c);       // POST /settings/delete

void permalink(const SitePtr& s, const CtxPtr& c);     // GET /u/:name/:id
void delete_form(const SitePtr& s, const CtxPtr& c);   // GET /delete/:id (confirmation)
void delete_uweet(const SitePtr& s, const CtxPtr& c);  // POST /delete/:id

void login_form(const SitePtr& s, const CtxPtr& c);     // GET /accounts/login
void log_in(const SitePtr& s, const CtxPtr& c);         // POST /accounts/login
void register_form(const SitePtr& s, const CtxPtr& c);  // GET /accounts/register
void sign_up(const SitePtr& s, const CtxPtr& c);        // POST /accounts/register
void log_out(const SitePtr& s, const CtxPtr& c);        // POST /accounts/logout

}  // namespace uw::web::pages
