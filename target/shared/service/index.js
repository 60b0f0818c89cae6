'use strict';

const { defineService } = require('./bootstrap');

module.exports = { defineService };
