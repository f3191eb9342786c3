// The official Ollama JavaScript client against a gateway (argv[2]) that admits one request per
// caller: the second chat must reject with the gateway's {"error"} text as the error's message.
import { Ollama } from 'ollama';

const ollama = new Ollama({ host: process.argv[2] });
const model = process.argv[3] ?? 'llama3.2';
const ask = () => ollama.chat({ model, messages: [{ role: 'user', content: 'Why is the sky blue?' }] });

const first = await ask();
console.log(`first ${first.message.content}`);
try {
  await ask();
  console.log('second admitted');
} catch (e) {
  console.log(`second ${e.name} ${e.status_code} message=${e.message}`);
}
