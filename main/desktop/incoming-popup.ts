/**
 * The incoming-call popup: a small window per ringing call, shown without taking focus (the person may be
 * typing elsewhere: a popup that steals the keyboard would swallow their next keys), closed as soon as the
 * call stops ringing. Electron's BrowserWindow is made by the factory passed in, so the rules are tested
 * without Electron.
 */
export interface PopupLike {
  /** Shows the window without focusing it (Electron's `showInactive`). */
  showInactive(): void;
  close(): void;
  isDestroyed(): boolean;
}

export class IncomingPopups {
  private readonly open = new Map<string, PopupLike>();

  constructor(private readonly make: (callId: string) => PopupLike) {}

  /** One popup for each call that rings now; the others close. */
  sync(ringing: ReadonlySet<string>): void {
    for (const [id, popup] of this.open)
      if (!ringing.has(id) || popup.isDestroyed()) {
        if (!popup.isDestroyed()) popup.close();
        this.open.delete(id);
      }
    for (const id of ringing)
      if (!this.open.has(id)) {
        const popup = this.make(id);
        popup.showInactive();
        this.open.set(id, popup);
      }
  }

  get count(): number {
    return this.open.size;
  }

  closeAll(): void {
    this.sync(new Set());
  }
}
