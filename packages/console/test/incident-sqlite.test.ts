// The incident response API suite against SQLite.
import { defineIncidentTests } from './incident-suite.ts';

defineIncidentTests('SQLite', () => undefined);
