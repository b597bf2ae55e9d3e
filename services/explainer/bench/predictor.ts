/** The bench's model server (a separate process): linear models of 4 and 20 features over KServe's v1 protocol. */
import { startFixture } from "../test/fixture";

const weights = (d: number) => Array.from({ length: d }, (_, i) => Math.cos(i + 1));
const linear = (w: number[]) => (r: number[]) => {
  let s = 0.5;
  for (let i = 0; i < w.length; i++) s += w[i] * r[i];
  return [s];
};

startFixture({ lin4: linear(weights(4)), lin20: linear(weights(20)) }).then((f) => {
  console.log(JSON.stringify({ msg: "listening", port: Number(new URL(f.url).port) }));
  process.on("SIGTERM", () => void f.close().then(() => process.exit(0)));
});
