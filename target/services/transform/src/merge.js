'use strict';

// Recursive merge of plain JSON data: a tenant's mapping config onto the defaults, a UDF's patch
// onto a record. Objects merge key by key; arrays and scalars replace. The target is changed in
// place and returned.

function isObject(value) {
  return value !== null && (typeof value === 'object' || typeof value === 'function');
}

function deepMerge(target, source) {
  for (const key of Object.keys(source)) {
    const value = source[key];
    if (isObject(value) && !Array.isArray(value)) {
      if (!isObject(target[key]) || Array.isArray(target[key])) target[key] = {};
      deepMerge(target[key], value);
    } else {
      target[key] = Array.isArray(value) ? value.slice() : value;
    }
  }
  return target;
}

module.exports = { deepMerge };
