// /static/notify.js: live notifications in the page: gets a subscription
// ticket (window.uwitter.ticket, from app.js), opens an EventSource on the
// user's notifier, shows a toast and an unread badge per notification. With
// several notifiers it moves to the next one in the ticket's order when that
// one is down (the rule is above connect()). If no notifier can be reached,
// the page says so in the #notif hook and everything else keeps working
// (nothing here is needed to read or post).
// Text goes in with textContent only, never HTML.
(function () {
  'use strict';
  var hook = document.getElementById('notif');
  if (!hook || !window.EventSource || !window.fetch || !window.uwitter) return;

  var KINDS = ['uweet', 'follow', 'mention', 'delete'];
  var es = null, lastId = '', retryMs = 2000, timer = null, opened = false;
  var unread = Number(sessionStorage.getItem('uw-unread') || 0);
  if (location.pathname === '/notifications') unread = 0;

  // Styles through the CSSOM (the page's Content-Security-Policy forbids inline <style>).
  function css(el, props) { for (var k in props) el.style[k] = props[k]; return el; }
  var dark = window.matchMedia && window.matchMedia('(prefers-color-scheme: dark)').matches;

  var toasts = document.createElement('div');
  toasts.className = 'notif-toasts';
  toasts.setAttribute('aria-live', 'polite');
  toasts.id = 'notif-toasts';
  css(toasts, { position: 'fixed', right: '1rem', bottom: '1rem', zIndex: '50', display: 'flex',
    flexDirection: 'column', gap: '.5rem', maxWidth: 'min(24rem, calc(100vw - 2rem))' });
  document.body.appendChild(toasts);

  var badge = document.createElement('span');
  badge.className = 'notif-badge';
  badge.id = 'notif-badge';
  css(badge, { display: 'inline-block', minWidth: '1.2em', marginLeft: '.3em', padding: '0 .35em',
    borderRadius: '1em', background: '#e0245e', color: '#fff', fontSize: '.75em', lineHeight: '1.4',
    textAlign: 'center', fontWeight: '700', verticalAlign: 'middle' });
  var link = document.querySelector('a[href="/notifications"]');
  if (link) link.appendChild(badge);

  function showBadge() {
    sessionStorage.setItem('uw-unread', String(unread));
    badge.textContent = unread > 99 ? '99+' : String(unread);
    badge.hidden = unread === 0;
    badge.style.display = unread === 0 ? 'none' : 'inline-block';
    badge.setAttribute('aria-label', unread + ' unread notifications');
  }
  showBadge();

  function setState(state) {
    hook.setAttribute('data-state', state);
    if (state === 'unavailable') {
      hook.textContent = 'Live notifications are unavailable right now; your timeline is always up to date.';
      hook.className = 'notif-off';
      css(hook, { display: 'block', margin: '.5rem auto', maxWidth: '40rem', padding: '.3rem .8rem',
        fontSize: '.85rem', opacity: '.75' });
      hook.hidden = false;
    } else {
      hook.textContent = '';
      hook.className = '';
      hook.hidden = true;
    }
  }

  function toast(n) {
    var parts = window.uwitter.describe(n);
    var t = document.createElement('div');
    t.className = 'notif-toast notif-' + n.kind;
    t.setAttribute('role', 'status');
    css(t, { background: dark ? '#e7ecf0' : '#15202b', color: dark ? '#15202b' : '#fff', borderRadius: '.6rem',
      padding: '.7rem .9rem', boxShadow: '0 4px 18px rgba(0,0,0,.25)', fontSize: '.95rem', overflowWrap: 'anywhere' });
    var a = document.createElement('a');
    a.href = '/u/' + encodeURIComponent(parts[0]);
    a.textContent = '@' + parts[0];
    css(a, { color: dark ? '#0b6e99' : '#8ecdf8', fontWeight: '700' });
    t.appendChild(a);
    t.appendChild(document.createTextNode(parts[1] + parts[2]));
    toasts.appendChild(t);
    while (toasts.children.length > 4) toasts.removeChild(toasts.firstChild);
    setTimeout(function () { if (t.parentNode) t.parentNode.removeChild(t); }, 8000);
  }

  function onEvent(e) {
    var n;
    try { n = JSON.parse(e.data); } catch (err) { return; }
    if (e.lastEventId) lastId = e.lastEventId;
    if (n.kind === 'delete') {
      // The author took a uweet back: drop it wherever this page shows it
      // (timelines, permalink) and say nothing (it is not news).
      // uweet_id 0: the author deleted their account, so every uweet of theirs goes.
      var gone = n.uweet_id ? [document.getElementById('uweet-' + n.uweet_id)]
        : document.querySelectorAll('li.uweet[data-author-id="' + Number(n.author_id) + '"]');
      Array.prototype.forEach.call(gone, function (el) { if (el && el.parentNode) el.parentNode.removeChild(el); });
      document.dispatchEvent(new CustomEvent('uwitter:delete', { detail: n }));
      return;
    }
    if (location.pathname !== '/notifications') unread += 1;
    showBadge();
    toast(n);
    document.dispatchEvent(new CustomEvent('uwitter:notification', { detail: n }));
  }

  // Several notifiers (docs/CLUSTER.md): the ticket lists them in this user's
  // order (rendezvous hashing on the server); `at` is the one in use. The
  // fallback rule (tests/notifier-udp/failover_test.cpp follows the same one):
  //  * the notifier answers anything but a stream (5xx, a refused ticket:
  //    EventSource CLOSED): the next one at once, with a fresh ticket;
  //  * the stream drops or cannot connect (EventSource CONNECTING, the browser
  //    retrying): if it is not open again within FAILOVER_MS, the next one;
  //  * every one tried without a stream opening: back off (2 s doubling to
  //    60 s), then from the first again;
  //  * on a fallback, every HOME_MS try the first one again beside the open
  //    stream, and move back when it opens.
  // Notification ids are one notifier's inbox positions: a move starts live
  // (no Last-Event-ID), so what arrived during the move is not replayed here;
  // the stored history (/notifications) has it.
  var FAILOVER_MS = 2500, HOME_MS = 60000;
  var order = [], at = 0, tried = 0, failTimer = null, homeTimer = null;

  function later() {
    if (timer) return;
    timer = setTimeout(function () { timer = null; connect(); }, retryMs);
    retryMs = Math.min(retryMs * 2, 60000);
  }

  function stop(source) { source.onopen = source.onerror = null; source.close(); }

  function next() {
    if (failTimer) { clearTimeout(failTimer); failTimer = null; }
    if (es) { stop(es); es = null; }
    setState('unavailable');
    tried += 1;
    if (order.length > 1 && tried < order.length) {
      at = (at + 1) % order.length;
      lastId = '';
      connect();
    } else {
      // Every notifier failed: wait, then start from this user's own again.
      if (order.length > 1 && at !== 0) { at = 0; lastId = ''; }
      tried = 0;
      later();
    }
  }

  function streamUrl(t, base) {
    var u = base ? new URL(base + '/events?ticket=' + encodeURIComponent(t.ticket), location.href)
      : new URL(t.url, location.href);
    return u;
  }

  function listen(source) { KINDS.forEach(function (k) { source.addEventListener(k, onEvent); }); }

  function goHomeLater() {
    if (homeTimer || at === 0 || order.length < 2) return;
    homeTimer = setTimeout(function () {
      homeTimer = null;
      if (at === 0 || !es) return;
      window.uwitter.ticket(hook, false).then(function (t) {
        if (t.notifiers && t.notifiers.length) order = t.notifiers;
        var probe = new EventSource(streamUrl(t, order[0]).toString());
        probe.onopen = function () {
          if (es) stop(es);
          es = probe; at = 0; tried = 0; lastId = '';
          listen(probe);
          probe.onopen = function () { opened = true; tried = 0; retryMs = 2000; setState('live'); };
          probe.onerror = onError;
          setState('live');
        };
        probe.onerror = function () { stop(probe); goHomeLater(); };
      }).catch(goHomeLater);
    }, HOME_MS);
  }

  function onError() {
    setState('unavailable');
    if (!es) return;
    if (es.readyState === EventSource.CLOSED) { next(); return; }
    // CONNECTING: the browser retries (retry: 2000 from the notifier); with
    // other notifiers to go to, give it until FAILOVER_MS, then the next one.
    if (!failTimer && order.length > 1) {
      failTimer = setTimeout(function () {
        failTimer = null;
        if (es && es.readyState !== EventSource.OPEN) next();
      }, FAILOVER_MS);
    }
  }

  function connect() {
    // The page's embedded ticket serves the first connection only.
    window.uwitter.ticket(hook, !opened && tried === 0).then(function (t) {
      if (!t || !t.url) throw new Error('no notifier configured');
      if (t.notifiers && t.notifiers.length) {
        order = t.notifiers;
        if (at >= order.length) at = 0;
      }
      var u = streamUrl(t, order.length ? order[at] : null);
      if (lastId) u.searchParams.set('last_event_id', lastId);
      if (es) stop(es);
      es = new EventSource(u.toString());
      listen(es);
      es.onopen = function () {
        opened = true; tried = 0; retryMs = 2000;
        if (failTimer) { clearTimeout(failTimer); failTimer = null; }
        setState('live');
        goHomeLater();
      };
      es.onerror = onError;
    }).catch(function () { setState('unavailable'); later(); });  // no ticket: the web app, not a notifier
  }

  setState('connecting');
  connect();
  window.addEventListener('pagehide', function () { if (es) es.close(); });
})();
