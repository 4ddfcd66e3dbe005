module github.com/shoal-db/shoal

go 1.26.8
