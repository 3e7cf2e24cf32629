import type Database from 'better-sqlite3';
import type { RecordedEvent } from '@recert/eventstore';
import type { Projection } from '../projection';

/** Specs only: keeps the `n` of every `Seen` event it is given; a resumed wrong checkpoint shows as missing or extra rows. */
export class SeenProjection implements Projection {
  readonly name = 'seen';
  readonly version = 1;
  readonly eventTypes = ['Seen'];
  setup(db: Database.Database): void {
    db.exec('CREATE TABLE IF NOT EXISTS seen (n INTEGER NOT NULL)');
  }
  reset(db: Database.Database): void {
    db.exec('DROP TABLE IF EXISTS seen');
  }
  apply(db: Database.Database, event: RecordedEvent): void {
    db.prepare('INSERT INTO seen (n) VALUES (?)').run(Number(event.data['n']));
  }
}
