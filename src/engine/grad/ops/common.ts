/** Small helpers shared by gradient modules. */
import type { Emitter } from '../emitter';

/** Normalises a possibly negative axis for a tensor of `rank` dims. */
export function normAxis(axis: number, rank: number): number {
  return axis < 0 ? axis + rank : axis;
}

export function normAxes(axes: number[], rank: number): number[] {
  return axes.map((a) => normAxis(a, rank));
}

/** Float32 zeros with the runtime shape of `like`. */
export function zerosLike(e: Emitter, like: string): string {
  return e.op('ConstantOfShape', [e.shapeOf(like)]);
}

/** 1.0 where `cond` holds, 0.0 elsewhere (float32). */
export function maskOf(e: Emitter, cond: string): string {
  return e.op('Cast', [cond], { to: 1 });
}
