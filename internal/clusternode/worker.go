package clusternode

import (
	"sync"

	"github.com/shoal-db/shoal/internal/cluster"
)

// worker carries out, on one goroutine and in Ready order, the parts of a
// Ready that touch the keyspace or client connections: data and role changes
// produced by the bus or the tick (Options.OnReady) and Pub/Sub deliveries
// (Options.OnDeliver). The bus goroutines hand them over and go on, so a
// busy keyspace or a slow subscriber never holds up gossip.
//
// This relaxes step 3 of Ready's order for the bus: a PONG may leave before
// the keys of slots just lost (DelSlotKeys) are deleted. Nobody can read
// them meanwhile through a routed command: the Topology published with that
// Ready already sends the slots' clients elsewhere.
type worker struct {
	mu   sync.Mutex
	q    []job
	wake chan struct{}
	quit chan struct{}
	done chan struct{}
}

// job is one unit of the worker: a data/role change or a delivery.
type job struct {
	ready   *cluster.Ready // RoleChange, EmptyData, DelSlotKeys
	deliver []cluster.Delivery
	topo    *cluster.Topology // a new Topology (Options.OnTopology)
}

func newWorker() *worker {
	return &worker{wake: make(chan struct{}, 1), quit: make(chan struct{}), done: make(chan struct{})}
}

func (w *worker) push(j job) {
	w.mu.Lock()
	w.q = append(w.q, j)
	w.mu.Unlock()
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// run drains the queue until stop; what is queued at stop is still done.
func (w *worker) run(onReady func(cluster.Ready), onDeliver func(cluster.Delivery), onTopology func(*cluster.Topology)) {
	defer close(w.done)
	for {
		w.mu.Lock()
		q := w.q
		w.q = nil
		w.mu.Unlock()
		for _, j := range q {
			if j.topo != nil && onTopology != nil {
				onTopology(j.topo)
			}
			if j.ready != nil && onReady != nil {
				onReady(*j.ready)
			}
			if onDeliver != nil {
				for _, d := range j.deliver {
					onDeliver(d)
				}
			}
		}
		if len(q) > 0 {
			continue
		}
		select {
		case <-w.wake:
		case <-w.quit:
			w.mu.Lock()
			empty := len(w.q) == 0
			w.mu.Unlock()
			if empty {
				return
			}
		}
	}
}

func (w *worker) stop() {
	close(w.quit)
	<-w.done
}
