// Shared by the Activations and Training pages: follows one job's server-sent events, updating a progress bar,
// a state line and a cancel button, and calling back on every event.
'use strict';
const jobs = (() => {
  const { api, events, $ } = microw;

  /** Follows job `id` until it ends; onEvent(job) after each event; resolves to the last job record. */
  async function follow(id, onEvent) {
    let last = null;
    $('cancel').disabled = false;
    $('cancel').onclick = async () => {
      $('cancel').disabled = true;
      await api('POST', '/jobs/' + id + '/cancel');
    };
    await events('/jobs/' + id + '/events', (name, job) => {
      last = job;
      $('progress').value = job.progress.fraction || 0;
      $('job-state').textContent = job.id + ': ' + job.status + (job.progress.message ? ' · ' + job.progress.message : '')
        + (job.error ? ' · ' + job.error : '');
      $('job-state').dataset.status = job.status;
      if (onEvent) {
        onEvent(job);
      }
    });
    $('cancel').disabled = true;
    return last;
  }

  return { follow };
})();
