// The incident response API suite against a real PostgreSQL server started for this run (see pg.ts).
import { after, before, describe } from 'node:test';
import { defineIncidentTests } from './incident-suite.ts';
import { startPostgres, type TestPostgres } from './pg.ts';

describe('PostgreSQL (incidents)', () => {
  let pgs: TestPostgres;
  let url = '';
  before(async () => { pgs = await startPostgres(); url = await pgs.createDatabase('incidents'); });
  after(() => { pgs?.stop(); });
  defineIncidentTests('PostgreSQL', () => url);
});
