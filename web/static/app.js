// /static/app.js. Pages work without it; it only adds comfort: the live
// character counter (which also refuses a 142nd code point), relative times
// that keep ticking, and filling the /notifications list. Each feature is one
// function in `features`. Loaded on every page before notify.js, which uses
// window.uwitter (below).
'use strict';
(function () {
  var MAX = 141;

  // The server's rule (core/rules.hpp): CRLF -> LF, surrounding white space
  // trimmed, then code points counted (not UTF-16 units).
  // White space is Unicode's White_Space property, as in core/rules.cpp.
  var WS = '[\\t-\\r \\u0085\\u00A0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000]';
  var TRIM = new RegExp('^' + WS + '+|' + WS + '+$', 'g');
  function normalize(s) {
    return s.replace(/\r\n/g, '\n').replace(TRIM, '');
  }
  function codePoints(s) { return Array.from(normalize(s)).length; }

  // Removes what was just typed beyond MAX (the code points before the caret),
  // so pasting or typing can never make the text longer than the server accepts.
  function enforce(ta) {
    var over = codePoints(ta.value) - MAX;
    if (over <= 0) return;
    var end = ta.selectionEnd == null ? ta.value.length : ta.selectionEnd;
    var before = Array.from(ta.value.slice(0, end));
    var after = ta.value.slice(end);
    before = before.slice(0, Math.max(0, before.length - over));
    var head = before.join('');
    var value = head + after;
    while (codePoints(value) > MAX) {
      var cps = Array.from(value);
      cps.pop();
      value = cps.join('');
    }
    ta.value = value;
    var pos = Math.min(head.length, value.length);
    ta.setSelectionRange(pos, pos);
  }

  function counter() {
    var ta = document.getElementById('uweet-text');
    var out = document.getElementById('uweet-counter');
    if (!ta || !out) return;
    var update = function () {
      enforce(ta);
      var left = MAX - codePoints(ta.value);
      out.textContent = String(left);
      out.classList.toggle('warn', left <= 20 && left > 10);
      out.classList.toggle('danger', left <= 10);
      out.setAttribute('aria-label', left + ' characters left');
    };
    ta.addEventListener('input', update);
    ta.addEventListener('keydown', function (e) {
      if (e.key === 'Enter' && (e.ctrlKey || e.metaKey) && ta.form) {
        e.preventDefault();
        ta.form.requestSubmit();
      }
    });
    out.hidden = false;
    update();
  }

  var MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  // Same format as html::relative_time on the server.
  function relative(ms, now) {
    var s = Math.floor((now - ms) / 1000);
    if (s < 60) return 'now';
    if (s < 3600) return Math.floor(s / 60) + 'm';
    if (s < 86400) return Math.floor(s / 3600) + 'h';
    if (s < 7 * 86400) return Math.floor(s / 86400) + 'd';
    var d = new Date(ms), n = new Date(now);
    var out = d.getUTCDate() + ' ' + MONTHS[d.getUTCMonth()];
    return d.getUTCFullYear() === n.getUTCFullYear() ? out : out + ' ' + d.getUTCFullYear();
  }
  function ticking() {
    var times = document.querySelectorAll('time[data-ms]');
    if (!times.length) return;
    var tick = function () {
      var now = Date.now();
      times.forEach(function (t) { t.textContent = relative(Number(t.getAttribute('data-ms')), now); });
    };
    setInterval(tick, 30000);
  }

  // Shared with notify.js (loaded after this file on every page, see
  // web/http/assets.cpp): the ticket request and the words for a notification.
  //
  // A subscription ticket: {ticket, url} as GET /api/v1/notifications/ticket
  // answers it (url is the notifier's /events?ticket=...). An element with
  // data-ticket and data-notifier-url carries one already; reuseEmbedded says
  // whether that one may still be used (a fresh ticket is needed after a
  // connection was lost: the embedded one may have expired).
  function ticket(el, reuseEmbedded) {
    var t = el.getAttribute('data-ticket'), base = el.getAttribute('data-notifier-url');
    if (reuseEmbedded && t && base) return Promise.resolve({ ticket: t, url: base.replace(/\/$/, '') + '/events?ticket=' + t });
    return fetch(el.getAttribute('data-ticket-url'), { credentials: 'same-origin', headers: { Accept: 'application/json' } })
      .then(function (r) { if (!r.ok) throw new Error('ticket ' + r.status); return r.json(); });
  }
  // A notifier note (docs/NOTIFIER.md): {kind: uweet|follow|mention, follower
  // (follow) or author and text (uweet, mention), ...}. Returns [name, verb, text].
  function describe(n) {
    if (n.kind === 'follow') return [n.follower, ' followed you', ''];
    if (n.kind === 'mention') return [n.author, ' mentioned you: ', n.text];
    return [n.author, ' uweeted: ', n.text];
  }
  window.uwitter = { ticket: ticket, describe: describe };

  // /notifications: asks the web app for a ticket, then the notifier for the inbox.
  function notifications() {
    var box = document.getElementById('notifications');
    if (!box) return;
    var status = document.getElementById('notif-status');
    var list = document.getElementById('notif-items');
    ticket(box, true)
      .then(function (t) {
        var u = new URL(t.url, location.href);
        u.pathname = '/inbox';
        u.search = '';
        u.searchParams.set('ticket', t.ticket);
        return fetch(u.toString());
      })
      .then(function (r) { if (!r.ok) throw new Error('inbox ' + r.status); return r.json(); })
      .then(function (body) {
        // GET /inbox answers {"items": [...]}; a delete hides the uweet it names.
        // A delete naming uweet 0 hides every uweet of that author (the account was deleted).
        var deleted = {}, goneAuthors = {};
        body.items.forEach(function (n) {
          if (n.kind !== 'delete') return;
          if (n.uweet_id) deleted[n.uweet_id] = true; else goneAuthors[n.author_id] = true;
        });
        var items = body.items.filter(function (n) {
          return n.kind !== 'delete' && !(n.uweet_id && deleted[n.uweet_id]) && !(n.author_id && goneAuthors[n.author_id]);
        });
        status.textContent = items.length ? '' : 'Nothing new. Notifications appear here when people you follow post, follow you or mention you.';
        items.forEach(function (n) {
          var parts = describe(n);
          var li = document.createElement('li');
          var a = document.createElement('a');
          a.href = '/u/' + encodeURIComponent(parts[0]);
          a.textContent = '@' + parts[0];
          li.appendChild(a);
          li.appendChild(document.createTextNode(parts[1] + parts[2]));
          list.appendChild(li);
        });
      })
      .catch(function () { status.textContent = 'Notifications could not be loaded right now. Your timeline is always up to date.'; });
  }

  var features = [counter, ticking, notifications];
  features.forEach(function (f) {
    try { f(); } catch (e) { if (window.console) console.error(e); }
  });
})();
