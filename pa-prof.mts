import { averagingPoints, randomDirections, pointsPerImage } from './src/engine/defences/postAveraging';
import { Rng } from './src/engine/util/random';
const p: any = { height: 224, width: 224, channels: 3, pixelScale: 1, mean: [0.485,0.456,0.406], std: [0.229,0.224,0.225], layout: 'NCHW' };
const s = randomDirections(p);
const per = 3*224*224, n = 4, K = 15;
const x = new Float32Array(n*per).fill(0.5);
const rng = new Rng(1);
const buf = new Float32Array(n*91*per);
for (let r = 0; r < 4; r++) {
  let t = performance.now();
  const d = await s.sample(x, n, K, rng);
  const t1 = performance.now();
  const pts = averagingPoints(x, n, per, d, K, 35);
  const t2 = performance.now();
  buf.set(pts); const t3 = performance.now();
  let z=0; for (let i=0;i<2.26e6*4;i++) z+=rng.normal(); const t4=performance.now();
  console.log(`sample ${(t1-t).toFixed(1)} points ${(t2-t1).toFixed(1)} copy-into-existing ${(t3-t2).toFixed(1)} normals-only ${(t4-t3).toFixed(1)}`);
}
