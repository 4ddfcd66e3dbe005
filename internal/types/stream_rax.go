package types

// raxShape mirrors the shape of the radix tree (rax.c) Redis indexes a
// stream's listpack nodes with, only to count its nodes the way Redis does
// (XINFO STREAM radix-tree-nodes): the same splits on insertion and the
// same pruning and recompression on removal. Keys are the nodes' master IDs
// as 16 big-endian bytes. It stores nothing else.
type raxShape struct {
	root     *raxNode
	numnodes int
}

type raxNode struct {
	key   bool
	compr bool
	chars []byte
	kids  []*raxNode
}

func newRaxShape() *raxShape { return &raxShape{root: &raxNode{}, numnodes: 1} }

func raxKey(id StreamID) []byte {
	k := make([]byte, 16)
	for i := 0; i < 8; i++ {
		k[i] = byte(id.Ms >> (56 - 8*i))
		k[8+i] = byte(id.Seq >> (56 - 8*i))
	}
	return k
}

// walk is raxLowWalk: how far s matches, the node reached, the split
// position inside a compressed node, the link to that node and its parents.
func (r *raxShape) walk(s []byte, stack *[]*raxNode) (i int, h *raxNode, link **raxNode, j int) {
	h, link = r.root, &r.root
	for len(h.chars) > 0 && i < len(s) {
		if h.compr {
			for j = 0; j < len(h.chars) && i < len(s); j, i = j+1, i+1 {
				if h.chars[j] != s[i] {
					break
				}
			}
			if j != len(h.chars) {
				break
			}
		} else {
			idx := -1
			for k, c := range h.chars {
				if c == s[i] {
					idx = k
					break
				}
			}
			if idx < 0 {
				break
			}
			i++
			j = idx
		}
		if stack != nil {
			*stack = append(*stack, h)
		}
		if h.compr {
			link = &h.kids[0]
		} else {
			link = &h.kids[j]
		}
		h = *link
		j = 0
	}
	if !h.compr {
		j = 0
	}
	return i, h, link, j
}

// insert adds key s (not present).
func (r *raxShape) insert(s []byte) {
	i, h, link, j := r.walk(s, nil)
	if h.compr && i != len(s) {
		next := h.kids[0]
		split := &raxNode{chars: []byte{h.chars[j]}, key: j == 0 && h.key}
		if j == 0 {
			*link = split
		} else {
			trimmed := &raxNode{chars: append([]byte(nil), h.chars[:j]...), compr: j > 1, key: h.key, kids: []*raxNode{split}}
			*link = trimmed
			link = &trimmed.kids[0]
			r.numnodes++
		}
		post := next
		if pl := len(h.chars) - j - 1; pl > 0 {
			post = &raxNode{chars: append([]byte(nil), h.chars[j+1:]...), compr: pl > 1, kids: []*raxNode{next}}
			r.numnodes++
		}
		split.kids = []*raxNode{post}
		h = split
	}
	for i < len(s) {
		child := &raxNode{}
		if len(h.chars) == 0 && len(s)-i > 1 {
			h.compr = true
			h.chars = append([]byte(nil), s[i:]...)
			h.kids = []*raxNode{child}
			i = len(s)
		} else {
			// raxAddChild keeps the edges sorted.
			at := 0
			for at < len(h.chars) && h.chars[at] < s[i] {
				at++
			}
			h.chars = append(h.chars[:at], append([]byte{s[i]}, h.chars[at:]...)...)
			h.kids = append(h.kids[:at], append([]*raxNode{child}, h.kids[at:]...)...)
			i++
		}
		r.numnodes++
		h = child
	}
	h.key = true
}

func (n *raxNode) last() *raxNode { return n.kids[len(n.kids)-1] }

// remove deletes key s (raxRemove), pruning and recompressing as Redis does.
func (r *raxShape) remove(s []byte) {
	var stack []*raxNode
	i, h, _, j := r.walk(s, &stack)
	if i != len(s) || (h.compr && j != 0) || !h.key {
		return
	}
	pop := func() *raxNode {
		if len(stack) == 0 {
			return nil
		}
		p := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		return p
	}
	h.key = false
	try := false
	if len(h.chars) == 0 {
		var child *raxNode
		for h != r.root {
			child = h
			r.numnodes--
			h = pop()
			if h.key || (!h.compr && len(h.chars) != 1) {
				break
			}
		}
		if child != nil {
			if h.compr {
				h.compr, h.chars, h.kids = false, nil, nil
			} else {
				for k, c := range h.kids {
					if c == child {
						h.chars = append(h.chars[:k], h.chars[k+1:]...)
						h.kids = append(h.kids[:k], h.kids[k+1:]...)
						break
					}
				}
			}
			if len(h.chars) == 1 && !h.key {
				try = true
			}
		}
	} else if len(h.chars) == 1 {
		try = true
	}
	if !try {
		return
	}
	var parent *raxNode
	for {
		parent = pop()
		if parent == nil || parent.key || (!parent.compr && len(parent.chars) != 1) {
			break
		}
		h = parent
	}
	start := h
	nodes := 1
	for len(h.chars) != 0 {
		h = h.last()
		if h.key || (!h.compr && len(h.chars) != 1) {
			break
		}
		nodes++
	}
	if nodes == 1 {
		return
	}
	merged := &raxNode{compr: true}
	r.numnodes++
	h = start
	for len(h.chars) != 0 {
		merged.chars = append(merged.chars, h.chars...)
		h = h.last()
		r.numnodes--
		if h.key || (!h.compr && len(h.chars) != 1) {
			break
		}
	}
	merged.kids = []*raxNode{h}
	if parent == nil {
		r.root = merged
		return
	}
	for k, c := range parent.kids {
		if c == start {
			parent.kids[k] = merged
			return
		}
	}
}
