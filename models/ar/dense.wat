;; Integer dense layers for the autoregressive flow's nets (models/ar/net.ts), on wasm SIMD.
;; Weights and inputs are int16, sums int32 (i32x4.dot_i16x8_s: 8 products per instruction). Integer
;; arithmetic is exact and identical on every machine; net.ts bounds the weights so sums cannot wrap.
(module
  (memory (export "memory") 1)

  ;; Horizontal sum of an i32x4.
  (func $hsum (param $v v128) (result i32)
    (i32.add
      (i32.add (i32x4.extract_lane 0 (local.get $v)) (i32x4.extract_lane 1 (local.get $v)))
      (i32.add (i32x4.extract_lane 2 (local.get $v)) (i32x4.extract_lane 3 (local.get $v)))))

  ;; Store output o: the int32 sum (final), or int16 max(0, min(4095, sum >> shift)).
  (func $store (param $y i32) (param $o i32) (param $s i32) (param $shift i32) (param $final i32)
    (if (local.get $final)
      (then (i32.store (i32.add (local.get $y) (i32.shl (local.get $o) (i32.const 2))) (local.get $s)))
      (else
        (local.set $s (i32.shr_s (local.get $s) (local.get $shift)))
        (if (i32.lt_s (local.get $s) (i32.const 0)) (then (local.set $s (i32.const 0))))
        (if (i32.gt_s (local.get $s) (i32.const 4095)) (then (local.set $s (i32.const 4095))))
        (i32.store16 (i32.add (local.get $y) (i32.shl (local.get $o) (i32.const 1))) (local.get $s)))))

  ;; y[o] = sum_i w[o][i] x[i] + b[o]; rows of n8 blocks of 8 int16 (padded with zeros), 4 rows at a time.
  ;; Weights of each group of 4 rows interleaved by block (block 0 of rows 0-3, block 1 of rows 0-3, ...:
  ;; one pointer, constant offsets), then the rows left over one after another (net.ts, NetRunner).
  (func (export "layer")
    (param $w i32) (param $b i32) (param $x i32) (param $n8 i32) (param $outs i32)
    (param $y i32) (param $shift i32) (param $final i32)
    (local $o i32) (local $xp i32) (local $xend i32) (local $row i32)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128) (local $xv v128)
    (local.set $row (i32.shl (local.get $n8) (i32.const 4)))
    (local.set $xend (i32.add (local.get $x) (local.get $row)))
    (block $done4
      (loop $rows4
        (br_if $done4 (i32.gt_u (i32.add (local.get $o) (i32.const 4)) (local.get $outs)))
        (local.set $a0 (v128.const i32x4 0 0 0 0))
        (local.set $a1 (v128.const i32x4 0 0 0 0))
        (local.set $a2 (v128.const i32x4 0 0 0 0))
        (local.set $a3 (v128.const i32x4 0 0 0 0))
        (local.set $xp (local.get $x))
        (block $cols4done
          (loop $cols4
            (br_if $cols4done (i32.ge_u (local.get $xp) (local.get $xend)))
            (local.set $xv (v128.load (local.get $xp)))
            (local.set $a0 (i32x4.add (local.get $a0) (i32x4.dot_i16x8_s (v128.load (local.get $w)) (local.get $xv))))
            (local.set $a1 (i32x4.add (local.get $a1) (i32x4.dot_i16x8_s (v128.load offset=16 (local.get $w)) (local.get $xv))))
            (local.set $a2 (i32x4.add (local.get $a2) (i32x4.dot_i16x8_s (v128.load offset=32 (local.get $w)) (local.get $xv))))
            (local.set $a3 (i32x4.add (local.get $a3) (i32x4.dot_i16x8_s (v128.load offset=48 (local.get $w)) (local.get $xv))))
            (local.set $w (i32.add (local.get $w) (i32.const 64)))
            (local.set $xp (i32.add (local.get $xp) (i32.const 16)))
            (br $cols4)))
        ;; Reduce the four accumulators to one vector of four sums (pairwise shuffles), add the biases.
        (local.set $a0 (i32x4.add
          (i8x16.shuffle 0 1 2 3 16 17 18 19 8 9 10 11 24 25 26 27 (local.get $a0) (local.get $a1))
          (i8x16.shuffle 4 5 6 7 20 21 22 23 12 13 14 15 28 29 30 31 (local.get $a0) (local.get $a1))))
        (local.set $a2 (i32x4.add
          (i8x16.shuffle 0 1 2 3 16 17 18 19 8 9 10 11 24 25 26 27 (local.get $a2) (local.get $a3))
          (i8x16.shuffle 4 5 6 7 20 21 22 23 12 13 14 15 28 29 30 31 (local.get $a2) (local.get $a3))))
        (local.set $a0 (i32x4.add
          (i32x4.add
            (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $a0) (local.get $a2))
            (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $a0) (local.get $a2)))
          (v128.load (i32.add (local.get $b) (i32.shl (local.get $o) (i32.const 2))))))
        (if (local.get $final)
          (then (v128.store (i32.add (local.get $y) (i32.shl (local.get $o) (i32.const 2))) (local.get $a0)))
          (else
            (local.set $a0 (i32x4.min_s (i32x4.max_s (i32x4.shr_s (local.get $a0) (local.get $shift)) (v128.const i32x4 0 0 0 0))
              (v128.const i32x4 4095 4095 4095 4095)))
            (v128.store64_lane 0 (i32.add (local.get $y) (i32.shl (local.get $o) (i32.const 1)))
              (i16x8.narrow_i32x4_s (local.get $a0) (local.get $a0)))))
        (local.set $o (i32.add (local.get $o) (i32.const 4)))
        (br $rows4)))
    ;; The remaining rows one at a time.
    (block $done
      (loop $rows
        (br_if $done (i32.ge_u (local.get $o) (local.get $outs)))
        (local.set $a0 (v128.const i32x4 0 0 0 0))
        (local.set $xp (local.get $x))
        (block $colsdone
          (loop $cols
            (br_if $colsdone (i32.ge_u (local.get $xp) (local.get $xend)))
            (local.set $a0 (i32x4.add (local.get $a0) (i32x4.dot_i16x8_s (v128.load (local.get $w)) (v128.load (local.get $xp)))))
            (local.set $w (i32.add (local.get $w) (i32.const 16)))
            (local.set $xp (i32.add (local.get $xp) (i32.const 16)))
            (br $cols)))
        (call $store (local.get $y) (local.get $o)
          (i32.add (call $hsum (local.get $a0)) (i32.load (i32.add (local.get $b) (i32.shl (local.get $o) (i32.const 2)))))
          (local.get $shift) (local.get $final))
        (local.set $o (i32.add (local.get $o) (i32.const 1)))
        (br $rows))))
;; Online mean adaptation (model.ts, MeanAdapter): int32 weights w[n] against int16 inputs h[n] (a
  ;; net's hidden activations 0..4095, or its features, |f| < 2^12). Products stay below 2^29 (|w| <=
  ;; 2^17), so i32x4.mul is exact; sums are i64. adaptDot returns sum w[i] h[i] as f64 (exact: < 2^53).
  (func (export "adaptDot") (param $w i32) (param $h i32) (param $n i32) (result f64)
    (local $end4 i32) (local $end i32) (local $p v128) (local $acc v128) (local $sum i64)
    (local.set $end (i32.add (local.get $w) (i32.shl (local.get $n) (i32.const 2))))
    (local.set $end4 (i32.add (local.get $w) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
    (local.set $acc (v128.const i64x2 0 0))
    (block $done4
      (loop $quads
        (br_if $done4 (i32.ge_u (local.get $w) (local.get $end4)))
        (local.set $p (i32x4.mul (v128.load (local.get $w)) (i32x4.extend_low_i16x8_s (v128.load64_zero (local.get $h)))))
        (local.set $acc (i64x2.add (local.get $acc)
          (i64x2.add (i64x2.extend_low_i32x4_s (local.get $p)) (i64x2.extend_high_i32x4_s (local.get $p)))))
        (local.set $w (i32.add (local.get $w) (i32.const 16)))
        (local.set $h (i32.add (local.get $h) (i32.const 8)))
        (br $quads)))
    (local.set $sum (i64.add (i64x2.extract_lane 0 (local.get $acc)) (i64x2.extract_lane 1 (local.get $acc))))
    (block $done
      (loop $rest
        (br_if $done (i32.ge_u (local.get $w) (local.get $end)))
        (local.set $sum (i64.add (local.get $sum) (i64.extend_i32_s (i32.mul (i32.load (local.get $w)) (i32.load16_s (local.get $h))))))
        (local.set $w (i32.add (local.get $w) (i32.const 4)))
        (local.set $h (i32.add (local.get $h) (i32.const 2)))
        (br $rest)))
    (f64.convert_i64_s (local.get $sum)))

  ;; w[i] = clamp(w[i] + h[i]) when up, else clamp(w[i] - h[i]), clamp to -limit..limit.
  (func (export "adaptUpdate") (param $w i32) (param $h i32) (param $n i32) (param $up i32) (param $limit i32)
    (local $end4 i32) (local $end i32) (local $hv v128) (local $lim v128) (local $neg v128) (local $v i32)
    (local.set $end (i32.add (local.get $w) (i32.shl (local.get $n) (i32.const 2))))
    (local.set $end4 (i32.add (local.get $w) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
    (local.set $lim (i32x4.splat (local.get $limit)))
    (local.set $neg (i32x4.splat (i32.sub (i32.const 0) (local.get $limit))))
    (block $done4
      (loop $quads
        (br_if $done4 (i32.ge_u (local.get $w) (local.get $end4)))
        (local.set $hv (i32x4.extend_low_i16x8_s (v128.load64_zero (local.get $h))))
        (if (local.get $up)
          (then (v128.store (local.get $w) (i32x4.max_s (i32x4.min_s (i32x4.add (v128.load (local.get $w)) (local.get $hv)) (local.get $lim)) (local.get $neg))))
          (else (v128.store (local.get $w) (i32x4.max_s (i32x4.min_s (i32x4.sub (v128.load (local.get $w)) (local.get $hv)) (local.get $lim)) (local.get $neg)))))
        (local.set $w (i32.add (local.get $w) (i32.const 16)))
        (local.set $h (i32.add (local.get $h) (i32.const 8)))
        (br $quads)))
    (block $done
      (loop $rest
        (br_if $done (i32.ge_u (local.get $w) (local.get $end)))
        (if (local.get $up)
          (then (local.set $v (i32.add (i32.load (local.get $w)) (i32.load16_s (local.get $h)))))
          (else (local.set $v (i32.sub (i32.load (local.get $w)) (i32.load16_s (local.get $h))))))
        (if (i32.gt_s (local.get $v) (local.get $limit)) (then (local.set $v (local.get $limit))))
        (if (i32.lt_s (local.get $v) (i32.sub (i32.const 0) (local.get $limit))) (then (local.set $v (i32.sub (i32.const 0) (local.get $limit)))))
        (i32.store (local.get $w) (local.get $v))
        (local.set $w (i32.add (local.get $w) (i32.const 4)))
        (local.set $h (i32.add (local.get $h) (i32.const 2)))
        (br $rest))))
)
