module github.com/gpiohil/gpiohil

go 1.26
