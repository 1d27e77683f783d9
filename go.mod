module github.com/triagedesk/triage

go 1.26.0

require go.yaml.in/yaml/v3 v3.0.6

require golang.org/x/text v0.43.0 // indirect
