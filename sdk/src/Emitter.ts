type Listener = (...args: unknown[]) => void;

/** A small typed event emitter that runs in browsers and Node alike (no Node builtins). */
export class Emitter<Events extends Record<string, unknown[]>> {
  readonly #listeners = new Map<keyof Events, Set<Listener>>();

  /** Subscribes; returns the function that unsubscribes. */
  on<K extends keyof Events>(event: K, listener: (...args: Events[K]) => void): () => void {
    let set = this.#listeners.get(event);
    if (!set) {
      set = new Set();
      this.#listeners.set(event, set);
    }
    set.add(listener as unknown as Listener);
    return () => this.off(event, listener);
  }

  off<K extends keyof Events>(event: K, listener: (...args: Events[K]) => void): void {
    this.#listeners.get(event)?.delete(listener as unknown as Listener);
  }

  protected emit<K extends keyof Events>(event: K, ...args: Events[K]): void {
    for (const l of [...(this.#listeners.get(event) ?? [])]) {
      try {
        (l as unknown as (...a: Events[K]) => void)(...args);
      } catch (err) {
        // A listener's bug must not break the client.
        console.error(`listener of '${String(event)}' failed`, err);
      }
    }
  }

  protected removeAllListeners(): void {
    this.#listeners.clear();
  }
}
