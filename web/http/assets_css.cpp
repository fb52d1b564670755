// The stylesheet served at /static/app.css: mobile-first, one readable column,
// light and dark (prefers-color-scheme), no external fonts or images.
#include "web/http/assets.hpp"

namespace uw::web {

extern const std::string_view kAppCss = R"CSS(:root {
  --bg: #f4f6f8; --card: #ffffff; --text: #14181f; --muted: #5b6472; --line: #e1e5ea;
  --accent: #0e7c66; --accent-text: #ffffff; --accent-soft: #e3f4ef; --danger: #c62828;
  --warn: #b26a00; --danger-soft: #fdecea; --focus: #2f6fde;
  --radius: 14px; --shadow: 0 1px 2px rgba(16, 24, 40, .06), 0 1px 3px rgba(16, 24, 40, .08);
  color-scheme: light dark;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #0f1318; --card: #171c23; --text: #e7ebf0; --muted: #9aa4b2; --line: #273039;
    --accent: #33c4a1; --accent-text: #06201a; --accent-soft: #12332b; --danger: #ff6b6b;
    --warn: #f0a84a; --danger-soft: #3a1a1a; --focus: #7aa7ff;
    --shadow: 0 1px 2px rgba(0, 0, 0, .4);
  }
}
*, *::before, *::after { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body {
  margin: 0; background: var(--bg); color: var(--text);
  font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "DejaVu Sans", sans-serif;
}
a { color: var(--accent); text-decoration: none; }
a:hover { text-decoration: underline; }
:focus-visible { outline: 3px solid var(--focus); outline-offset: 2px; border-radius: 4px; }
.sr { position: absolute; width: 1px; height: 1px; padding: 0; margin: -1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; border: 0; }
.col { max-width: 40rem; margin: 0 auto; padding: 0 .75rem; }

/* top bar */
.top { background: var(--card); border-bottom: 1px solid var(--line); position: sticky; top: 0; z-index: 10; }
.bar { max-width: 40rem; margin: 0 auto; padding: .5rem .75rem; display: flex; flex-wrap: wrap; align-items: center; gap: .5rem .75rem; }
.brand { font-weight: 800; font-size: 1.35rem; letter-spacing: -.02em; color: var(--text); display: flex; align-items: center; gap: .4rem; }
.brand:hover { text-decoration: none; }
.brand .logo { width: 1.6rem; height: 1.6rem; border-radius: 8px; background: var(--accent); color: var(--accent-text); display: inline-grid; place-items: center; font-size: 1rem; }
.search { order: 3; flex: 1 1 100%; }
.search input { width: 100%; }
nav.links { margin-left: auto; display: flex; align-items: center; gap: .25rem .75rem; flex-wrap: wrap; }
nav.links form { display: inline; margin: 0; }
nav.links .me { font-weight: 600; }
@media (min-width: 40rem) {
  .search { order: 0; flex: 1 1 10rem; max-width: 16rem; }
}

/* forms and buttons */
input[type=text], input[type=password], input[type=search], textarea {
  font: inherit; color: inherit; background: var(--bg); border: 1px solid var(--line);
  border-radius: 10px; padding: .55rem .7rem; width: 100%;
}
textarea { resize: vertical; min-height: 5.5rem; background: var(--card); }
input:focus, textarea:focus { border-color: var(--accent); outline: none; box-shadow: 0 0 0 3px var(--accent-soft); }
.btn, button {
  font: inherit; font-weight: 650; cursor: pointer; border-radius: 999px; border: 1px solid var(--accent);
  background: var(--accent); color: var(--accent-text); padding: .45rem 1.1rem; display: inline-block; line-height: 1.4;
}
.btn:hover, button:hover { filter: brightness(1.07); text-decoration: none; }
.btn.ghost, button.ghost { background: transparent; color: var(--accent); }
button.link { background: none; border: 0; padding: 0; color: var(--accent); font-weight: inherit; }
button.link:hover { text-decoration: underline; }
button:disabled { opacity: .5; cursor: not-allowed; }
.field { margin: 0 0 1rem; }
.field label { display: block; font-weight: 600; margin-bottom: .3rem; }
.hint { color: var(--muted); font-size: .875rem; margin: .3rem 0 0; }

/* cards */
.card { background: var(--card); border: 1px solid var(--line); border-radius: var(--radius); box-shadow: var(--shadow); padding: 1rem; margin: 1rem 0; }
h1 { font-size: 1.4rem; margin: 1.25rem 0 .5rem; letter-spacing: -.01em; }
h2 { font-size: 1.1rem; margin: 0 0 .5rem; }
.card > h1:first-child { margin-top: 0; }
.muted { color: var(--muted); }
.error { background: var(--danger-soft); color: var(--danger); border-radius: 10px; padding: .6rem .8rem; margin: 0 0 1rem; font-weight: 600; }
.notice { background: var(--accent-soft); border-radius: 10px; padding: .6rem .8rem; margin: 0 0 1rem; }

/* compose box */
.compose .row { display: flex; justify-content: flex-end; align-items: center; gap: .75rem; margin-top: .5rem; }
.counter { font-variant-numeric: tabular-nums; color: var(--muted); font-weight: 600; min-width: 2.5rem; text-align: right; }
.counter.warn { color: var(--warn); }
.counter.danger { color: var(--danger); }

/* timelines */
.uweets { list-style: none; margin: 0; padding: 0; background: var(--card); border: 1px solid var(--line); border-radius: var(--radius); box-shadow: var(--shadow); overflow: hidden; }
.uweet { display: flex; gap: .75rem; padding: .85rem 1rem; border-top: 1px solid var(--line); }
.uweet:first-child { border-top: 0; }
.uweet .body { min-width: 0; flex: 1; }
.uweet .meta { display: flex; gap: .4rem; align-items: baseline; }
.uweet .author { font-weight: 700; color: var(--text); }
.uweet .when { color: var(--muted); font-size: .875rem; }
.uweet .when::before { content: "· "; }
.uweet .text { margin: .15rem 0 0; overflow-wrap: anywhere; white-space: normal; }
.empty { text-align: center; color: var(--muted); padding: 2rem 1rem; }
.pager { text-align: center; margin: 1rem 0 2rem; }

/* avatars: a coloured initial (no images, no inline styles) */
.av { flex: none; width: 2.6rem; height: 2.6rem; border-radius: 50%; display: grid; place-items: center; font-weight: 800; color: #fff; text-transform: uppercase; }
.av.big { width: 4.5rem; height: 4.5rem; font-size: 1.8rem; }
.av0 { background: #0e7c66; } .av1 { background: #2f6fde; } .av2 { background: #8e44ad; } .av3 { background: #d35400; }
.av4 { background: #c0392b; } .av5 { background: #16a085; } .av6 { background: #7f8c8d; } .av7 { background: #b7950b; }

/* profile */
.profile { display: flex; gap: 1rem; align-items: center; flex-wrap: wrap; }
.profile .who { flex: 1; min-width: 10rem; }
.profile h1 { margin: 0; }
.stats { display: flex; gap: 1.25rem; margin: .75rem 0 0; padding: 0; list-style: none; flex-wrap: wrap; }
.stats b { font-variant-numeric: tabular-nums; color: var(--text); }
.stats a, .stats span { color: var(--muted); }

/* people lists */
.people { list-style: none; margin: 0; padding: 0; background: var(--card); border: 1px solid var(--line); border-radius: var(--radius); overflow: hidden; }
.people li { display: flex; align-items: center; gap: .75rem; padding: .7rem 1rem; border-top: 1px solid var(--line); }
.people li:first-child { border-top: 0; }
.people a { font-weight: 700; color: var(--text); }

/* auth pages and the welcome box */
.auth { max-width: 24rem; margin: 2rem auto; }
.hero { text-align: center; padding: 1.5rem 1rem; }
.hero h1 { font-size: 1.8rem; margin-top: 0; }
.hero .actions { display: flex; gap: .75rem; justify-content: center; flex-wrap: wrap; margin-top: 1rem; }
.big-status { font-size: 3.5rem; font-weight: 800; color: var(--accent); margin: 0; line-height: 1; }
.notif-list { list-style: none; margin: 0; padding: 0; }
.notif-list li { padding: .6rem 0; border-top: 1px solid var(--line); }
.notif-list li:first-child { border-top: 0; }
.foot { color: var(--muted); font-size: .85rem; text-align: center; padding: 2rem .75rem 3rem; }
)CSS";

extern const std::string_view kFaviconSvg =
    R"SVG(<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="8" fill="#0e7c66"/><text x="16" y="23" font-family="sans-serif" font-size="20" font-weight="800" fill="#fff" text-anchor="middle">u</text></svg>)SVG";

}  // namespace uw::web
