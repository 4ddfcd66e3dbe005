package command

func registerStrings(t *Table) {
	t.Handle("get", cmdGet)
	t.Handle("set", cmdSet)
}

func cmdGet(c *Ctx) {
	v, ok := c.DB.Lookup(c.Args[1])
	if !ok {
		c.W.Null()
		return
	}
	if v.Obj != nil {
		c.Error(wrongType)
		return
	}
	c.W.BulkString(v.Str)
}

// cmdSet is SET key value (options come with the strings family).
func cmdSet(c *Ctx) {
	c.DB.SetString(c.Args[1], c.Args[2], false)
	c.Dirty++
	c.W.OK()
}
