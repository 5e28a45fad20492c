/**
 * pino's light build (`pino/browser.js`, see logger.ts) has pino's API and pino's types; the
 * package declares types for its main entry only.
 */
declare module 'pino/browser.js' {
  import { pino } from 'pino';

  export default pino;
}
