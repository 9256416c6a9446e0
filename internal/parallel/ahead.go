package parallel

// Ahead calls work(k, v) for every k below n, in order, v being what
// fetch(k) returned, and fetches the next piece while work does the
// current one: fetch(k+1) runs on a goroutine of its own during work(k).
// It is for a store read on one processor (a single connection) feeding
// work that runs on the others, which otherwise wait for each read in
// turn. At most one fetch is in flight, and none is when Ahead returns.
//
// The first error of fetch or work stops it and is returned: no later
// work is done (a fetch already started is waited for, its result
// dropped). fetch(k+1) may run at the same time as work(k), so the two
// must not touch the same data; fetch calls are never concurrent with
// each other, and each happens before the work on its result.
func Ahead[T any](n int, fetch func(k int) (T, error), work func(k int, v T) error) error {
	if n <= 0 {
		return nil
	}
	type fetched struct {
		v   T
		err error
	}
	start := func(k int) <-chan fetched {
		ch := make(chan fetched, 1)
		go func() {
			v, err := fetch(k)
			ch <- fetched{v, err}
		}()
		return ch
	}
	v, err := fetch(0)
	for k := 0; ; k++ {
		if err != nil {
			return err
		}
		var next <-chan fetched
		if k+1 < n {
			next = start(k + 1)
		}
		if err := work(k, v); err != nil {
			if next != nil {
				<-next
			}
			return err
		}
		if next == nil {
			return nil
		}
		f := <-next
		v, err = f.v, f.err
	}
}
