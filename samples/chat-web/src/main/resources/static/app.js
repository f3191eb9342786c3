// The browser never holds the Ollama key: it talks only to this application's /api/chat route.
const $ = (id) => document.getElementById(id);
let controller = null;

fetch('/api/info').then((r) => r.json()).then((info) => {
  if (info.demo) {
    $('banner').hidden = false;
    $('banner').textContent = 'Demo mode: no Ollama is configured, so Keyway\'s stand-in answers'
      + ' with a scripted reply. Set OLLAMA_HOST and OLLAMA_API_KEY to talk to a real server.';
  }
});

function showError(message) {
  $('error').hidden = false;
  $('error').textContent = message;
}

function handle(event) {
  if (event.type === 'thinking') {
    $('thinking-box').hidden = false;
    $('thinking').textContent += event.text;
  } else if (event.type === 'content') {
    $('answer').textContent += event.text;
  } else if (event.type === 'error') {
    showError(event.message);
  } else if (event.type === 'done') {
    $('answer').dataset.done = 'true';
  }
}

async function send(prompt) {
  controller = new AbortController();
  $('answer').textContent = '';
  delete $('answer').dataset.done;
  $('thinking').textContent = '';
  $('thinking-box').hidden = true;
  $('error').hidden = true;
  $('send').disabled = true;
  $('stop').disabled = false;
  try {
    const response = await fetch('/api/chat', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ prompt }),
      signal: controller.signal,
    });
    if (!response.ok) {
      showError(`The server answered ${response.status}.`);
      return;
    }
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let buffered = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffered += decoder.decode(value, { stream: true });
      let newline;
      while ((newline = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, newline).trim();
        buffered = buffered.slice(newline + 1);
        if (line) handle(JSON.parse(line));
      }
    }
  } catch (e) {
    if (e.name === 'AbortError') {
      $('answer').dataset.stopped = 'true';
    } else {
      showError('The chat server is unreachable.');
    }
  } finally {
    $('send').disabled = false;
    $('stop').disabled = true;
    controller = null;
  }
}

$('form').addEventListener('submit', (e) => {
  e.preventDefault();
  send($('prompt').value);
});
$('stop').addEventListener('click', () => controller && controller.abort());
