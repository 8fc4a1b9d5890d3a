import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classNamesFromMetadata, parseClassNameList, parsePythonLiteral } from '../../../src/engine/onnx/metadataClassNames';

test('each exporter convention of class names in metadata_props is read in logit order', () => {
  // Ultralytics: str(model.names), a Python dict, keys in index order
  assert.deepEqual(classNamesFromMetadata({ stride: '32', names: "{0: 'person', 1: 'bicycle', 2: 'traffic light'}" }), {
    key: 'names',
    names: ['person', 'bicycle', 'traffic light'],
  });
  // a dict whose keys are not written in index order is put in index order
  assert.deepEqual(parseClassNameList("{2: 'c', 0: 'a', 1: 'b'}"), ['a', 'b', 'c']);
  // JSON array, JSON id2label object, Python list with both quote styles and an escaped quote
  assert.deepEqual(parseClassNameList('["cat", "dog"]'), ['cat', 'dog']);
  assert.deepEqual(classNamesFromMetadata({ id2label: '{"1": "dog", "0": "cat"}' }), { key: 'id2label', names: ['cat', 'dog'] });
  assert.deepEqual(parseClassNameList(`['it\\'s', "dog's"]`), ["it's", "dog's"]);
  // comma- and newline-separated lists, trimmed
  assert.deepEqual(classNamesFromMetadata({ Classes: ' t-shirt, trouser ,pullover ' }), {
    key: 'Classes',
    names: ['t-shirt', 'trouser', 'pullover'],
  });
  assert.deepEqual(classNamesFromMetadata({ class_names: 'a\nb\r\nc\n' }), { key: 'class_names', names: ['a', 'b', 'c'] });
  assert.deepEqual(classNamesFromMetadata({ labels: 'x,y' }), { key: 'labels', names: ['x', 'y'] });
});

test('what is not a class-name list is not taken for one', () => {
  assert.equal(classNamesFromMetadata({}), null);
  assert.equal(classNamesFromMetadata({ author: 'a, b, c' }), null, 'only the known keys');
  assert.equal(parseClassNameList('imagenet'), null, 'a single word is no list');
  assert.equal(parseClassNameList('["a", "a"]'), null, 'duplicates');
  assert.equal(parseClassNameList('["a", 3]'), null, 'a non-string name');
  assert.equal(parseClassNameList("{0: 'a', 2: 'c'}"), null, 'indices with a gap');
  assert.equal(parseClassNameList("{0: 'a', 0: 'b'}"), null, 'a repeated index');
  assert.equal(parseClassNameList('{"cat": 0, "dog": 1}'), null, 'label2id is not id2label');
  assert.equal(parseClassNameList("{0: 'a', 1: 'b'"), null, 'unterminated');
  assert.equal(parsePythonLiteral('[1, 2] trailing'), undefined);
  // the first key that parses wins: an unparseable "names" falls through to "classes"
  assert.deepEqual(classNamesFromMetadata({ names: '{broken', classes: 'a,b' }), { key: 'classes', names: ['a', 'b'] });
});
