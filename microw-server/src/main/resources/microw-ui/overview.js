// Overview page: server health and metrics, the store, and every job.
'use strict';
(() => {
  const { api, el, $, say } = microw;

  function facts(target, pairs) {
    $(target).replaceChildren(...pairs.flatMap(([k, v]) => [el('dt', {}, k), el('dd', {}, v)]));
  }

  function bytes(n) {
    if (n === undefined || n === null) {
      return '—';
    }
    const units = ['B', 'KB', 'MB', 'GB', 'TB'];
    let i = 0;
    while (n >= 1024 && i < units.length - 1) {
      n /= 1024;
      i++;
    }
    return n.toFixed(i ? 1 : 0) + ' ' + units[i];
  }

  async function refresh() {
    try {
      const [health, metrics, store, jobs] = await Promise.all([
        api('GET', '/health'), api('GET', '/metrics'), api('GET', '/store'), api('GET', '/jobs')]);
      facts('server', [['Status', health.status], ['Uptime', Math.round(metrics.uptime_seconds) + ' s'],
        ['Requests served', metrics.requests_served], ['Loaded models', metrics.loaded_models.join(', ') || 'none'],
        ['Loaded SAEs', metrics.loaded_saes]]);
      facts('store', [['Path', store.path], ['Runs', store.runs], ['Size', bytes(store.bytes)],
        ['Free disk', bytes(store.free_bytes)], ['Trained SAEs', store.saes.length],
        ['Manipulation configs', store.manipulations]]);
      $('jobs').replaceChildren(...jobs.jobs.map(j => el('tr', {},
        el('td', {}, j.id), el('td', {}, j.kind), el('td', {}, j.status),
        el('td', {}, Math.round(100 * (j.progress.fraction || 0)) + '%' + (j.progress.message ? ' · ' + j.progress.message : '')),
        el('td', {}, j.created_at))));
      if (!jobs.jobs.length) {
        $('jobs').append(el('tr', {}, el('td', { colspan: '5', class: 'muted' }, 'No jobs yet.')));
      }
      say('status', '', '');
    } catch (e) {
      say('status', e.message, 'error');
    }
  }

  refresh();
})();
