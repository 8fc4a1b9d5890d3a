;; PGD's L∞ step, branch-free (float32, SIMD):
;;   x[i] ← clamp(x[i] + a·sign(g[i]), max(x0[i] − e, lo), min(x0[i] + e, hi))   for i in [0, n)
;; with sign(0) = sign(NaN) = 0. x, g and x0 are byte offsets into the imported memory.
;; Assembled with wabt (`wat2wasm --enable-simd`); signStepKernel.ts holds the bytes and a test checks they match.
(module
  (import "env" "memory" (memory 1))
  (func (export "signStep")
    (param $x i32) (param $g i32) (param $x0 i32) (param $n i32)
    (param $a f32) (param $e f32) (param $lo f32) (param $hi f32)
    (local $end i32)
    (local $pos v128) (local $neg v128) (local $ev v128) (local $lov v128) (local $hiv v128)
    (local $gv v128) (local $bv v128) (local $v v128)
    (local $gs f32) (local $bs f32) (local $s f32)
    (local.set $pos (f32x4.splat (local.get $a)))
    (local.set $neg (f32x4.splat (f32.neg (local.get $a))))
    (local.set $ev (f32x4.splat (local.get $e)))
    (local.set $lov (f32x4.splat (local.get $lo)))
    (local.set $hiv (f32x4.splat (local.get $hi)))
    ;; four at a time
    (local.set $end (i32.add (local.get $x) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
    (block $done4
      (loop $vec
        (br_if $done4 (i32.ge_u (local.get $x) (local.get $end)))
        (local.set $gv (v128.load align=4 (local.get $g)))
        (local.set $bv (v128.load align=4 (local.get $x0)))
        (local.set $v
          (f32x4.add (v128.load align=4 (local.get $x))
            (v128.or
              (v128.and (f32x4.gt (local.get $gv) (v128.const f32x4 0 0 0 0)) (local.get $pos))
              (v128.and (f32x4.lt (local.get $gv) (v128.const f32x4 0 0 0 0)) (local.get $neg)))))
        ;; pmax(p, q) = p < q ? q : p and pmin(p, q) = q < p ? q : p, exactly the scalar ternaries
        (local.set $v (f32x4.pmax (local.get $v) (f32x4.pmax (f32x4.sub (local.get $bv) (local.get $ev)) (local.get $lov))))
        (local.set $v (f32x4.pmin (local.get $v) (f32x4.pmin (f32x4.add (local.get $bv) (local.get $ev)) (local.get $hiv))))
        (v128.store align=4 (local.get $x) (local.get $v))
        (local.set $x (i32.add (local.get $x) (i32.const 16)))
        (local.set $g (i32.add (local.get $g) (i32.const 16)))
        (local.set $x0 (i32.add (local.get $x0) (i32.const 16)))
        (br $vec)))
    ;; the remaining n mod 4, one at a time, same arithmetic
    (local.set $end (i32.add (local.get $end) (i32.shl (i32.and (local.get $n) (i32.const 3)) (i32.const 2))))
    (block $done1
      (loop $one
        (br_if $done1 (i32.ge_u (local.get $x) (local.get $end)))
        (local.set $gs (f32.load (local.get $g)))
        (local.set $s
          (f32.add (f32.load (local.get $x))
            (select (local.get $a)
              (select (f32.neg (local.get $a)) (f32.const 0) (f32.lt (local.get $gs) (f32.const 0)))
              (f32.gt (local.get $gs) (f32.const 0)))))
        (local.set $bs (f32.sub (f32.load (local.get $x0)) (local.get $e)))
        (local.set $bs (select (local.get $lo) (local.get $bs) (f32.lt (local.get $bs) (local.get $lo))))
        (local.set $s (select (local.get $bs) (local.get $s) (f32.lt (local.get $s) (local.get $bs))))
        (local.set $bs (f32.add (f32.load (local.get $x0)) (local.get $e)))
        (local.set $bs (select (local.get $hi) (local.get $bs) (f32.lt (local.get $hi) (local.get $bs))))
        (local.set $s (select (local.get $bs) (local.get $s) (f32.lt (local.get $bs) (local.get $s))))
        (f32.store (local.get $x) (local.get $s))
        (local.set $x (i32.add (local.get $x) (i32.const 4)))
        (local.set $g (i32.add (local.get $g) (i32.const 4)))
        (local.set $x0 (i32.add (local.get $x0) (i32.const 4)))
        (br $one))))
)
