package command

// Register attaches every data command's handler to t. Each type family
// adds its own register function here.
func Register(t *Table) {
	registerStrings(t)
	registerGeneric(t)
	registerZSet(t)
	registerHash(t)
	registerSet(t)
	registerSort(t)
	registerLists(t)
	registerDump(t)
	registerHLL(t)
	registerGeo(t)
	registerStream(t)
}
