"""Pure, vectorized normalizers (phase 2): raw CSV strings in, typed clean columns out."""
