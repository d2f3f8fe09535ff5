package fields

// Percent checks that v, the value of the field at path, is a percentage
// (0-100).
func Percent[N int64 | int32 | float32 | float64](path string, v N) error {
	if v < 0 || v > 100 || v != v { // v != v: NaN
		return Invalid(path, "%v is not a percentage (0-100)", v)
	}
	return nil
}

// Count checks that n, the value of the field at path, is a CRD count (0
// to 2^32-1).
func Count(path string, n int64) error {
	return Between(path, n, 0, 1<<32-1)
}

// Between checks that lo <= n <= hi, saying "N is not between LO and HI".
func Between(path string, n, lo, hi int64) error {
	if n < lo || n > hi {
		return Invalid(path, "%d is not between %d and %d", n, lo, hi)
	}
	return nil
}

// Range checks that lo <= n <= hi, saying "N is out of range LO-HI".
func Range(path string, n, lo, hi int64) error {
	if n < lo || n > hi {
		return Invalid(path, "%d is out of range %d-%d", n, lo, hi)
	}
	return nil
}

// AtLeast checks that n >= min, saying "N must be at least MIN".
func AtLeast(path string, n, min int64) error {
	if n < min {
		return Invalid(path, "%d must be at least %d", n, min)
	}
	return nil
}
