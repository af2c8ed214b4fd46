// Structured JSON logs (pino); one root logger, children carry the request id.
import pino from 'pino';

export const logger = pino({
  level: process.env.LOG_LEVEL ?? (process.env.NODE_ENV === 'test' ? 'silent' : 'info'),
  base: { service: 'fhir-hub' },
  timestamp: pino.stdTimeFunctions.isoTime,
});

export type Logger = pino.Logger;
