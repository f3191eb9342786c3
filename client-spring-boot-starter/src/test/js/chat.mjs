// Runs the official Ollama JavaScript client, unmodified, against a gateway URL given as argv[2].
// Prints one line per check; exits non-zero on the first failure.
import { Ollama } from 'ollama';

const host = process.argv[2];
const model = process.argv[3] ?? 'llama3.2';
const ollama = new Ollama({ host });

const list = await ollama.list();
console.log(`list ${list.models.map((m) => m.name).join(',')}`);

const unary = await ollama.chat({ model, messages: [{ role: 'user', content: 'Why is the sky blue?' }] });
console.log(`chat ${unary.message.content}`);

let streamed = '';
let chunks = 0;
for await (const part of await ollama.chat({
  model, stream: true, messages: [{ role: 'user', content: 'Why is the sky blue?' }],
})) {
  streamed += part.message.content;
  chunks += 1;
}
console.log(`stream ${chunks} ${streamed}`);

const gen = await ollama.generate({ model, prompt: 'Why is the sky blue?' });
console.log(`generate ${gen.response}`);

try {
  await ollama.chat({ model: 'not-allowed', messages: [{ role: 'user', content: 'x' }] });
  console.log('refused no');
} catch (e) {
  console.log(`refused ${e.status_code} ${e.error}`);
}
