package command

import "github.com/shoal-db/shoal/internal/rediserr"

const wrongType = rediserr.WrongType

func registerGeneric(t *Table) {
	t.Handle("del", cmdDel)
}

func cmdDel(c *Ctx) {
	n := 0
	for _, k := range c.Args[1:] {
		if c.DB.Delete(k) {
			n++
		}
	}
	c.Dirty += n
	c.W.Int(int64(n))
}
