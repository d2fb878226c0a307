// `pnpm test:accuracy`: verification accuracy over ../shared/fixtures/faces (folders are people;
// multi/ holds group photos). Every pair of single-person photos is verified at the threshold, and
// every photo is searched for (leave-one-out) in a collection of all the others (accuracy-search.ts).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { searchAccuracy } from './accuracy-search.js';
import { FaceApiEncoder } from './encoder/faceapi-encoder.js';
import { faceDistance } from './pipeline/face-distance.js';

const root = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../..');
const dir = process.env.FACE_ENCODE_FIXTURES ?? join(root, '../shared/fixtures/faces');
const threshold = Number(process.env.FACE_ENCODE_THRESHOLD ?? 0.6);
const minAccuracy = 0.9;

if (!existsSync(dir)) {
  console.log(`accuracy: ${dir} not found; nothing to check.`);
  process.exit(0);
}

const encoder = new FaceApiEncoder();
await encoder.init();
const people = readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory() && e.name !== 'multi');
const photos: Array<{ person: string; file: string; encoding: number[] }> = [];
let problems = 0;
for (const person of people) {
  for (const file of readdirSync(join(dir, person.name)).filter((f) => /\.(jpe?g|png|webp)$/i.test(f))) {
    const { faces } = await encoder.encode(readFileSync(join(dir, person.name, file)));
    if (faces.length !== 1) {
      console.log(`  ${person.name}/${file}: expected 1 face, found ${faces.length}`);
      problems++;
    }
    if (faces[0]) photos.push({ person: person.name, file, encoding: faces[0].encoding });
  }
}
const multiDir = join(dir, 'multi');
if (existsSync(multiDir)) {
  for (const file of readdirSync(multiDir).filter((f) => /\.(jpe?g|png|webp)$/i.test(f))) {
    const { faces } = await encoder.encode(readFileSync(join(multiDir, file)));
    const ok = faces.length === 2;
    console.log(`  multi/${file}: ${faces.length} faces ${ok ? '✓' : '✗ (expected 2)'}`);
    if (!ok) problems++;
  }
}

let same = 0;
let worstSame = 0;
let closestDiff = Infinity;
let sameRight = 0;
let diff = 0;
let diffRight = 0;
for (let i = 0; i < photos.length; i++) {
  for (let j = i + 1; j < photos.length; j++) {
    const a = photos[i]!;
    const b = photos[j]!;
    const d = faceDistance(a.encoding, b.encoding);
    const predicted = d <= threshold;
    if (a.person === b.person) {
      same++;
      worstSame = Math.max(worstSame, d);
      if (predicted) sameRight++;
      else console.log(`  miss: ${a.person}/${a.file} vs ${b.file} = ${d.toFixed(3)}`);
    } else {
      diff++;
      closestDiff = Math.min(closestDiff, d);
      if (!predicted) diffRight++;
      else console.log(`  false match: ${a.person}/${a.file} vs ${b.person}/${b.file} = ${d.toFixed(3)}`);
    }
  }
}
const overall = (sameRight + diffRight) / Math.max(1, same + diff);
const pct = (n: number, of: number) => (of ? `${((100 * n) / of).toFixed(1)}%` : 'n/a');
console.log(`accuracy over ${photos.length} photos of ${people.length} people at threshold ${threshold}:`);
console.log(`  same-person pairs:      ${sameRight}/${same} right (${pct(sameRight, same)})`);
console.log(`  different-person pairs: ${diffRight}/${diff} right (${pct(diffRight, diff)})`);
console.log(
  `  margins:                farthest same-person pair ${worstSame.toFixed(3)}, closest different-person pair ${closestDiff.toFixed(3)}`,
);
console.log(
  `  overall:                ${sameRight + diffRight}/${same + diff} right (${pct(sameRight + diffRight, same + diff)})`,
);

const search = await searchAccuracy(photos, threshold);
console.log(
  `search (1:N, leave-one-out) over a collection of ${photos.length} photos at threshold ${threshold}:`,
);
console.log(
  `  same-person faces found: ${search.hits}/${search.expected} (${pct(search.hits, search.expected)})`,
);
console.log(`  false matches:           ${search.falseMatches} over ${search.probes} probes`);
console.log(
  `  margins:                 farthest same-person face found ${search.farthestHit.toFixed(3)}, nearest other person ${search.nearestOther.toFixed(3)}`,
);
const searchFailed = search.hits < search.expected || search.falseMatches > 0;

if (overall < minAccuracy || problems > 0 || searchFailed) {
  console.error(
    `accuracy check failed (overall ${pct(sameRight + diffRight, same + diff)}, minimum ${minAccuracy * 100}%; ${problems} face-count problems; search ${search.hits}/${search.expected} found, ${search.falseMatches} false matches)`,
  );
  process.exit(1);
}
