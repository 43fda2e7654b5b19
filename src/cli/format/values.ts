/**
 * Markers that let plain JSON-shaped data behave as Docker's typed Go values do in
 * templates and JSON: a nil slice prints "[]", a nil map "map[]", a nil pointer "<nil>",
 * and all of them encode as JSON null (or are left out, for `omitempty` fields).
 */

export type GoNilKind = 'slice' | 'map' | 'ptr';

export class GoNil {
  constructor(
    readonly kind: GoNilKind,
    /** an `omitempty` field: left out of JSON objects */
    readonly omitEmpty = false,
  ) {}

  toJSON(): null | undefined {
    return this.omitEmpty ? undefined : null;
  }

  toString(): string {
    return this.kind === 'slice' ? '[]' : this.kind === 'map' ? 'map[]' : '<nil>';
  }
}

export const nilSlice = (omitEmpty = false) => new GoNil('slice', omitEmpty);
export const nilMap = (omitEmpty = false) => new GoNil('map', omitEmpty);
export const nilPtr = (omitEmpty = false) => new GoNil('ptr', omitEmpty);

/**
 * What a plain object stands for in Go: a map (printed "map[k:v]", JSON keys sorted), a
 * struct ("{a b}") or a pointer to one ("&{a b}"). Unmarked objects behave as maps, as
 * decoded JSON does in Go.
 */
export const GO_KIND = Symbol('go-kind');
export type GoKind = 'map' | 'struct' | 'ptr';

function mark<T extends object>(o: T, kind: GoKind): T {
  Object.defineProperty(o, GO_KIND, { value: kind, enumerable: false, configurable: true });
  return o;
}

export function asStruct<T extends object>(o: T, pointer = false): T {
  return mark(o, pointer ? 'ptr' : 'struct');
}

export function asMap<T extends object>(o: T): T {
  return mark(o, 'map');
}

export function goKind(o: unknown): GoKind | undefined {
  return o !== null && typeof o === 'object' ? ((o as Record<symbol, unknown>)[GO_KIND] as GoKind | undefined) : undefined;
}
