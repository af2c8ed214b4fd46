// A background worker's pause between passes that a wake-up (new work, shutdown) cuts short.
export class WakeTimer {
  private wakeUp?: () => void;
  private woken = false;

  /** Ends the current pause now, or makes the next one return at once. */
  wake(): void {
    this.woken = true;
    this.wakeUp?.();
  }

  /** Waits `ms`, or less if woken; a wake-up since the last pause makes it return at once. */
  sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      if (this.woken) {
        this.woken = false;
        return resolve();
      }
      const done = () => {
        clearTimeout(timer);
        this.wakeUp = undefined;
        this.woken = false;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wakeUp = done;
    });
  }
}
