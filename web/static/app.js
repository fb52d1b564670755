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
  // A subscription ticket: {ticket, url, notifiers} as GET
  // /api/v1/notifications/ticket answers it (url is the user's notifier's
  // /events?ticket=...; notifiers is every notifier's base URL in the user's
  // order, that one first: where notify.js goes when one is down). An element
  // with data-ticket and data-notifier-url (and, with several notifiers,
  // data-notifier-urls) carries one already; reuseEmbedded says whether that
  // one may still be used (a fresh ticket is needed after a connection was
  // lost: the embedded one may have expired).
  function ticket(el, reuseEmbedded) {
    var t = el.getAttribute('data-ticket'), base = el.getAttribute('data-notifier-url');
    if (reuseEmbedded && t && base) {
      base = base.replace(/\/$/, '');
      var list = (el.getAttribute('data-notifier-urls') || '').split(' ').filter(Boolean);
      return Promise.resolve({ ticket: t, url: base + '/events?ticket=' + t, notifiers: list.length ? list : [base] });
    }
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

  // /notifications: the server renders the stored history (it works without
  // JavaScript); here the live stream (notify.js) adds new ones on top, marked
  // new, and a live delete removes the entries about that uweet.
  function notifications() {
    var list = document.getElementById('notif-items');
    if (!list) return;
    document.addEventListener('uwitter:notification', function (e) {
      var n = e.detail, parts = describe(n);
      var li = document.createElement('li');
      li.className = 'notif notif-' + n.kind + ' unread live';
      var isNew = document.createElement('span');
      isNew.className = 'notif-new';
      isNew.textContent = 'New';
      li.appendChild(isNew);
      li.appendChild(document.createTextNode(' '));
      var a = document.createElement('a');
      a.href = '/u/' + encodeURIComponent(parts[0]);
      a.textContent = '@' + parts[0];
      li.appendChild(a);
      li.appendChild(document.createTextNode(parts[1] + parts[2]));
      if (n.uweet_id) li.setAttribute('data-uweet-id', String(n.uweet_id));
      list.insertBefore(li, list.firstChild);
    });
    document.addEventListener('uwitter:delete', function (e) {
      var n = e.detail;
      var gone = n.uweet_id ? list.querySelectorAll('li[data-uweet-id="' + Number(n.uweet_id) + '"]') : [];
      Array.prototype.forEach.call(gone, function (el) { if (el.parentNode) el.parentNode.removeChild(el); });
    });
  }

  var features = [counter, ticking, notifications];
  features.forEach(function (f) {
    try { f(); } catch (e) { if (window.console) console.error(e); }
  });
})();
