module github.com/cardcheck/cardcheck/clients/go

go 1.19
