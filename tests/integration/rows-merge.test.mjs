// Merge rules through the API (docs/storage-format.md, "Row versions and
// folding"): each step is its own request, then the current row is read back
// through /v1 fetch and BTQL.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SKIP_NO_BINARY, startServe, withLogs } from '../lib/server.mjs';
import { ast, btqlAll, byId, fetchAll, insertRows, makeObjects } from '../lib/rows.mjs';

describe('rows: merge rules', { skip: SKIP_NO_BINARY }, () => {
  let dep;
  let url;
  let key;
  let E; // experiment id
  let D; // dataset id

  before(async () => {
    dep = await startServe();
    url = dep.dataUrl;
    key = dep.apiKey;
    const objs = await makeObjects(url, key, 'merge');
    E = objs.experiment.id;
    D = objs.dataset.id;
  });
  after(async () => {
    await dep?.stop();
  });

  const write = (events, kind = 'experiment', oid = E) => insertRows(url, key, kind, oid, events);
  async function row(id, kind = 'experiment', oid = E) {
    const viaFetch = byId((await fetchAll(url, key, kind, oid)).rows).get(id);
    const viaBtql = (await btqlAll(url, key, kind, oid, { filter: ast.eq('id', id) })).rows;
    if (viaFetch === undefined) {
      assert.deepEqual(viaBtql, [], `BTQL agrees that ${id} is absent`);
    } else {
      assert.deepEqual(viaBtql, [viaFetch], `BTQL and fetch agree on ${id}`);
    }
    return viaFetch;
  }

  it('_is_merge deep-merges objects, replaces arrays and scalars, null overwrites, tags union, created kept', withLogs(async () => {
    await write([{
      id: 'm', input: { a: 1, b: { c: 2, d: 3 } }, output: [1, 2, 3], expected: 'e',
      metadata: { keep: 1, nested: { x: 1, y: 2 } }, tags: ['t1', 't0'], scores: { s1: 0.5 },
      span_id: 'span-m', root_span_id: 'root-m',
    }]);
    const v1 = await row('m');
    await write([{
      id: 'm', _is_merge: true, input: { b: { c: 20, e: 5 } }, output: [9], expected: null,
      metadata: { nested: { y: null, z: [1] } }, tags: ['t2', 't1'], scores: { s2: 1 },
      created: '2001-01-01T00:00:00.000Z', span_id: 'other-span', root_span_id: 'other-root',
    }]);
    const v2 = await row('m');
    assert.deepEqual(v2.input, { a: 1, b: { c: 20, d: 3, e: 5 } }, 'objects deep-merge');
    assert.deepEqual(v2.output, [9], 'arrays are replaced, not merged');
    assert.equal(v2.expected, null, 'null overwrites');
    assert.ok('expected' in v2);
    assert.deepEqual(v2.metadata, { keep: 1, nested: { x: 1, y: null, z: [1] } });
    assert.deepEqual([...v2.tags].sort(), ['t0', 't1', 't2'], 'tags are a set union');
    assert.equal(new Set(v2.tags).size, v2.tags.length, 'no duplicate tags');
    assert.deepEqual(v2.scores, { s1: 0.5, s2: 1 });
    assert.equal(v2.created, v1.created, 'created of the existing row is kept');
    assert.equal(v2.span_id, 'span-m', 'span_id kept on merge');
    assert.equal(v2.root_span_id, 'root-m', 'root_span_id kept on merge');
    assert.equal(v2.is_root, true);
    assert.ok(v2._xact_id > v1._xact_id);
    for (const f of ['_is_merge', '_merge_paths', '_array_delete', '_object_delete']) assert.ok(!(f in v2), `${f} not on read`);

    // Scalars replace objects and objects replace scalars.
    await write([{ id: 'm', _is_merge: true, input: 'now a string', metadata: { keep: { now: 'object' } } }]);
    const v3 = await row('m');
    assert.equal(v3.input, 'now a string');
    assert.deepEqual(v3.metadata.keep, { now: 'object' });
    // A merge with explicit null tags clears them? No: null overwrites.
    await write([{ id: 'm', _is_merge: true, tags: null }]);
    assert.equal((await row('m')).tags, null, 'tags: null overwrites');
  }));

  it('a merge cannot re-parent a span: span_parents of the existing row (none = a root) are kept', withLogs(async () => {
    await write([{ id: 'rootish', span_id: 'rs', root_span_id: 'rr', input: 1 }]);
    await write([{ id: 'rootish', _is_merge: true, span_parents: ['zzz'], output: 2 }]);
    const r = await row('rootish');
    assert.equal(r.output, 2);
    assert.ok(!r.span_parents || r.span_parents.length === 0, `span_parents added by a merge: ${JSON.stringify(r.span_parents)}`);
    assert.equal(r.is_root, true);
    // With parents already present, a merge keeps them (this part holds).
    await write([{ id: 'child', span_id: 'cs', root_span_id: 'rr', span_parents: ['rs'], input: 1 }]);
    await write([{ id: 'child', _is_merge: true, span_parents: ['other'], output: 2 }]);
    assert.deepEqual((await row('child')).span_parents, ['rs']);
  }));

  it('_merge_paths replace at the path instead of descending', withLogs(async () => {
    await write([{ id: 'mp', metadata: { a: { x: 1, y: 2 }, b: { x: 1 } }, input: { deep: { k: { q: 1, r: 2 } } } }]);
    await write([{
      id: 'mp', _is_merge: true, _merge_paths: [['metadata', 'a'], ['input', 'deep', 'k']],
      metadata: { a: { z: 3 }, b: { y: 2 } }, input: { deep: { k: { s: 3 } } },
    }]);
    const r = await row('mp');
    assert.deepEqual(r.metadata, { a: { z: 3 }, b: { x: 1, y: 2 } }, 'metadata.a replaced, metadata.b merged');
    assert.deepEqual(r.input, { deep: { k: { s: 3 } } });
    // A top-level merge path replaces the whole field.
    await write([{ id: 'mp', _is_merge: true, _merge_paths: [['metadata']], metadata: { only: true } }]);
    assert.deepEqual((await row('mp')).metadata, { only: true });
  }));

  it('_array_delete removes values from the array at a path', withLogs(async () => {
    await write([{ id: 'ad', output: [1, 2, 3, 2], metadata: { list: ['a', 'b', 'c'], obj: { arr: [{ k: 1 }, { k: 2 }] } }, tags: ['x', 'y', 'z'] }]);
    await write([{
      id: 'ad', _is_merge: true,
      _array_delete: [
        { path: ['output'], delete: [2] },
        { path: ['metadata', 'list'], delete: ['a', 'c', 'not-there'] },
        { path: ['metadata', 'obj', 'arr'], delete: [{ k: 1 }] },
        { path: ['tags'], delete: ['y'] },
        { path: ['no', 'such', 'path'], delete: [1] },
      ],
    }]);
    const r = await row('ad');
    assert.deepEqual(r.output, [1, 3]);
    assert.deepEqual(r.metadata.list, ['b']);
    assert.deepEqual(r.metadata.obj.arr, [{ k: 2 }]);
    assert.deepEqual(r.tags, ['x', 'z']);
  }));

  it('a merge on a missing id creates the row; an insert replaces the whole row but keeps created', withLogs(async () => {
    await write([{ id: 'fresh', _is_merge: true, input: { only: 'merge' } }]);
    const f = await row('fresh');
    assert.deepEqual(f.input, { only: 'merge' });
    assert.equal(typeof f.created, 'string', 'a row created by a merge gets created');

    await write([{ id: 'rep', input: 'a', output: 'b', metadata: { m: 1 }, tags: ['t'], scores: { s: 1 } }]);
    const r1 = await row('rep');
    await write([{ id: 'rep', input: 'only input', created: '1999-01-01T00:00:00Z' }]);
    const r2 = await row('rep');
    assert.equal(r2.input, 'only input');
    for (const f2 of ['output', 'metadata', 'tags', 'scores']) assert.ok(!(f2 in r2) || r2[f2] === null, `insert replaced ${f2}: ${JSON.stringify(r2)}`);
    assert.equal(r2.created, r1.created, 'the first created is kept on replace');
    // _is_merge:false is a replace too.
    await write([{ id: 'rep', _is_merge: false, output: 'x' }]);
    const r3 = await row('rep');
    assert.ok(!('input' in r3), '_is_merge:false replaces');
    assert.equal(r3.output, 'x');
  }));

  it('_object_delete removes the row; a later write recreates it; deletes of missing ids are harmless', withLogs(async () => {
    await write([{ id: 'del', input: 1, tags: ['gone'] }, { id: 'stay', input: 2 }]);
    await write([{ id: 'del', _object_delete: true }, { id: 'never-existed', _object_delete: true }]);
    assert.equal(await row('del'), undefined, 'deleted row is gone');
    assert.equal(await row('never-existed'), undefined);
    assert.equal((await row('stay')).input, 2);
    await write([{ id: 'del', _is_merge: true, output: 'back' }]);
    const back = await row('del');
    assert.equal(back.output, 'back');
    assert.ok(!('input' in back), 'a recreated row does not resurrect the deleted content');
    assert.ok(!('tags' in back));
  }));

  it('versions of one id inside one request fold in order', withLogs(async () => {
    await write([
      { id: 'same', input: 1, output: 1, metadata: { a: 1 } },
      { id: 'same', _is_merge: true, output: 2, metadata: { b: 2 } },
      { id: 'same', _is_merge: true, tags: ['t'] },
    ]);
    const r = await row('same');
    assert.equal(r.input, 1);
    assert.equal(r.output, 2);
    assert.deepEqual(r.metadata, { a: 1, b: 2 });
    assert.deepEqual(r.tags, ['t']);
  }));

  it('is_root: no span_parents, null or an empty list is a root; a comment on a missing row creates no row', withLogs(async () => {
    await write([
      { id: 'ir-none', span_id: 'x1', root_span_id: 'x1' },
      { id: 'ir-null', span_id: 'x2', root_span_id: 'x1', span_parents: null },
      { id: 'ir-empty', span_id: 'x3', root_span_id: 'x1', span_parents: [] },
      { id: 'ir-child', span_id: 'x4', root_span_id: 'x1', span_parents: ['x1'] },
    ]);
    assert.equal((await row('ir-none')).is_root, true);
    assert.equal((await row('ir-null')).is_root, true);
    assert.equal((await row('ir-empty')).is_root, true);
    assert.equal((await row('ir-child')).is_root, false);
    const r = await fetch(`${url}/v1/experiment/${E}/feedback`, { method: 'POST', headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' }, body: JSON.stringify({ feedback: [{ id: 'ghost-row', comment: 'on nothing' }] }) });
    assert.equal(r.status, 200);
    assert.equal(await row('ghost-row'), undefined, 'a comment is never a row, even without its target');
    const all = (await fetchAll(url, key, 'experiment', E)).rows;
    assert.ok(!all.some((x) => x.comment), 'no comment rows among the rows');
  }));

  it('dataset rows follow the same rules (the SDK update / delete shapes)', withLogs(async () => {
    await write([{ id: 'd1', input: { q: 1 }, expected: { a: 1 }, metadata: { src: 'x', n: { k: 1 } }, tags: ['a'] }], 'dataset', D);
    const before1 = await row('d1', 'dataset', D);
    await write([{ id: 'd1', expected: { a: 2 }, metadata: { n: { j: 2 } }, tags: ['b'], _is_merge: true }], 'dataset', D);
    const r = await row('d1', 'dataset', D);
    assert.deepEqual(r.input, { q: 1 });
    assert.deepEqual(r.expected, { a: 2 });
    assert.deepEqual(r.metadata, { src: 'x', n: { k: 1, j: 2 } });
    assert.deepEqual([...r.tags].sort(), ['a', 'b']);
    assert.equal(r.created, before1.created);
    assert.equal(r.span_id, 'd1');
    await write([{ id: 'd1', created: new Date().toISOString(), _object_delete: true }], 'dataset', D);
    assert.equal(await row('d1', 'dataset', D), undefined);
  }));
});
