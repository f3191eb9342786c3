'use strict';
// The browser never holds the Ollama key: it talks only to this application's own /api/chat,
// whose server-side code adds the key. Plain JavaScript, no build step.

const $ = (id) => document.getElementById(id);
const conversation = []; // the conversation sent with each question: {role, content}
let controller = null; // the AbortController of the answer being streamed, if any

loadInfo();

async function loadInfo() {
  try {
    const info = await (await fetch('/api/info')).json();
    if (!$('model').value) $('model').value = info.model;
    for (const name of info.models || []) {
      const option = document.createElement('option');
      option.value = name;
      $('models').append(option);
    }
    $('server').textContent = info.demo ? 'Ollama: Keyway\'s stand-in' : 'Ollama: set up on the server';
    if (info.demo) {
      $('banner').textContent = 'Demo mode: no Ollama is configured, so Keyway\'s stand-in answers'
        + ' with a scripted reply, whatever you ask. Set OLLAMA_HOST and OLLAMA_API_KEY and restart'
        + ' to talk to a real server.';
      $('banner').hidden = false;
    }
  } catch (e) {
    $('server').textContent = 'The chat server is unreachable.';
  }
}

function addTurn(templateId) {
  const turn = $(templateId).content.firstElementChild.cloneNode(true);
  $('log').append(turn);
  return turn;
}

function scrollDown() {
  window.scrollTo(0, document.body.scrollHeight);
}

/** Yields each event of an NDJSON response as soon as its line is complete. */
async function* events(response) {
  const type = response.headers.get('Content-Type') || '';
  if (!type.startsWith('application/x-ndjson')) {
    throw new Error(`The chat server answered HTTP ${response.status}.`);
  }
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffered = '';
  for (;;) {
    const { value, done } = await reader.read();
    buffered += decoder.decode(value, { stream: !done });
    let newline;
    while ((newline = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, newline).trim();
      buffered = buffered.slice(newline + 1);
      if (line) yield JSON.parse(line);
    }
    if (done) break;
  }
  if (buffered.trim()) yield JSON.parse(buffered);
}

/**
 * What to show for a refusal by the server's usage limits (429): when to try again, from the
 * Retry-After header (whole seconds), else the JSON body's error text.
 */
async function tooManyRequests(response) {
  const after = (response.headers.get('Retry-After') || '').trim();
  if (/^[1-9][0-9]*$/.test(after)) return `Too many requests — try again in ${after} s`;
  try {
    const body = await response.json();
    if (body && typeof body.error === 'string' && body.error) return `Too many requests — ${body.error}`;
  } catch (e) {
    // not JSON: the fixed sentence below
  }
  return 'Too many requests — try again later';
}

function describe(done) {
  const parts = [done.model];
  if (done.evalCount != null) parts.push(`${done.evalCount} tokens`);
  if (done.totalDurationMs != null) parts.push(`${(done.totalDurationMs / 1000).toFixed(1)} s`);
  if (done.doneReason && done.doneReason !== 'stop') parts.push(`ended: ${done.doneReason}`);
  return parts.join(' · ');
}

async function ask(text) {
  if (controller || !text.trim()) return;
  addTurn('turn-user').querySelector('.text').textContent = text;
  conversation.push({ role: 'user', content: text });
  const turn = addTurn('turn-assistant');
  const answer = turn.querySelector('.answer');
  const thinkingBox = turn.querySelector('.thinking');
  const thinking = turn.querySelector('.thinking-text');
  const error = turn.querySelector('.error');
  const status = turn.querySelector('.status');
  const fail = (message) => {
    turn.dataset.state = 'error';
    error.textContent = message;
    error.hidden = false;
  };

  controller = new AbortController();
  $('send').disabled = true;
  $('stop').disabled = false;
  scrollDown();
  let content = '';
  try {
    const response = await fetch('/api/chat', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/x-ndjson' },
      body: JSON.stringify({ model: $('model').value.trim() || undefined, messages: conversation }),
      signal: controller.signal,
    });
    if (response.status === 429) {
      fail(await tooManyRequests(response));
      return;
    }
    turn.dataset.state = 'streaming';
    for await (const event of events(response)) {
      if (event.type === 'thinking') {
        if (thinkingBox.hidden) {
          thinkingBox.hidden = false;
          thinkingBox.open = true; // shown while the model thinks, folded once it answers
        }
        thinking.textContent += event.text; // textContent, never innerHTML: model output is not markup
      } else if (event.type === 'content') {
        if (!content && thinkingBox.open) thinkingBox.open = false;
        content += event.text;
        answer.textContent = content;
      } else if (event.type === 'done') {
        turn.dataset.state = 'done';
        status.textContent = describe(event);
      } else if (event.type === 'error') {
        fail(event.message);
      }
      scrollDown();
    }
    if (turn.dataset.state === 'streaming') fail('The answer ended early: the connection to the chat server was lost.');
  } catch (e) {
    if (e.name === 'AbortError') {
      turn.dataset.state = 'stopped';
      status.textContent = 'Stopped: generation was cancelled on the server.';
    } else {
      fail(e instanceof SyntaxError ? 'The chat server sent something unreadable.'
        : e.message.startsWith('The chat server') ? e.message : 'The chat server is unreachable.');
    }
  } finally {
    if (turn.dataset.state === 'done' || (turn.dataset.state === 'stopped' && content)) {
      conversation.push({ role: 'assistant', content });
    } else {
      conversation.pop(); // the question goes unanswered: leave it out of the next request
    }
    controller = null;
    $('send').disabled = false;
    $('stop').disabled = true;
    scrollDown();
  }
}

$('form').addEventListener('submit', (e) => {
  e.preventDefault();
  if (controller) return; // one answer at a time: Stop first
  const text = $('prompt').value;
  $('prompt').value = '';
  ask(text);
});
$('prompt').addEventListener('keydown', (e) => {
  if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
    e.preventDefault();
    $('form').requestSubmit();
  }
});
$('stop').addEventListener('click', () => controller && controller.abort());
