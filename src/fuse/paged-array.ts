/** A typed array that grows by fixed pages: never copied, so growing leaves no garbage and wastes at most one page. */

type Page = Float64Array | Uint32Array | Uint8Array;

const PAGE_SHIFT = 12;
const PAGE = 1 << PAGE_SHIFT;
const MASK = PAGE - 1;

export class PagedArray {
  private readonly pages: Page[] = [];

  constructor(private readonly makePage: (length: number) => Page) {}

  /** Elements it can hold. */
  get length(): number {
    return this.pages.length * PAGE;
  }

  get byteLength(): number {
    return this.pages.reduce((n, p) => n + p.byteLength, 0);
  }

  /** At least `length` elements (new ones are 0). */
  reserve(length: number): void {
    while (this.length < length) this.pages.push(this.makePage(PAGE));
  }

  get(i: number): number {
    return (this.pages[i >>> PAGE_SHIFT] as Page)[i & MASK] as number;
  }

  set(i: number, value: number): void {
    (this.pages[i >>> PAGE_SHIFT] as Page)[i & MASK] = value;
  }
}
