import type { SourceWarning } from '../../model.js';
import type { FileWindow } from './file-window.js';
import { truncationWarning } from './pcap-layout.js';

/** What the readers that walk a FileWindow share: how they end, and how they close. */
export abstract class WindowedReader {
  readonly warnings: SourceWarning[] = [];
  protected records = 0;
  protected done = false;

  readonly size: number;

  constructor(
    readonly file: string,
    protected readonly window: FileWindow,
  ) {
    this.size = window.size;
  }

  bytesRead(): number {
    return this.window.end;
  }

  /** The end of the records: a file that goes on past `offset` was cut inside a record. */
  protected finish(offset: number): null {
    this.done = true;
    if (offset < this.window.size) this.warnings.push(truncationWarning(this.file, offset, this.records));
    return null;
  }

  close(): void {
    this.done = true;
    this.window.close();
  }
}
