// main.js — the web client's entry point: starts the UI once the page has loaded.
import { start } from './app/app.js';

start(document.getElementById('app'));
