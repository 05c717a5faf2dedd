package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/healthlake"
	"github.com/aws/aws-sdk-go-v2/service/healthlake/types"
	"github.com/spf13/cobra"
)

// importCommand is `fhirlake import start|describe|list`: bulk import jobs
// through the control API (StartFHIRImportJob and friends).
func importCommand() *cobra.Command {
	var cf clientFlags
	var datastore string
	cmd := &cobra.Command{Use: "import", Short: "Start, describe and list bulk import jobs on a running server"}
	cf.register(cmd)
	cmd.PersistentFlags().StringVar(&datastore, "datastore", "", "data store id (required)")

	var in, out, kms, role, level, name, token string
	var wait bool
	start := &cobra.Command{
		Use:   "start --datastore ID --input URI --output URI [--wait]",
		Short: "Start an import job from s3://bucket/prefix, file:///path or a local path",
		Long: `Start an import job. The input is an S3 prefix (s3://bucket/prefix) or a local folder
or file (file:///path, or a path, made absolute here) holding .ndjson, .ndjson.gz, .json and
.json.gz files (.json: one resource or a transaction, batch or collection Bundle). The output
folder receives <datastore>-FHIR_IMPORT-<job>/ with manifest.json, SUCCESS/ and FAILURE/.
Local paths are read and written by the server, on its machine.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if datastore == "" || in == "" || out == "" {
				return fmt.Errorf("--datastore, --input and --output are required")
			}
			hl, err := cf.healthLake()
			if err != nil {
				return err
			}
			req := &healthlake.StartFHIRImportJobInput{
				DatastoreId:         aws.String(datastore),
				InputDataConfig:     &types.InputDataConfigMemberS3Uri{Value: location(in)},
				JobOutputDataConfig: &types.OutputDataConfigMemberS3Configuration{Value: types.S3Configuration{S3Uri: aws.String(location(out)), KmsKeyId: aws.String(kms)}},
				DataAccessRoleArn:   aws.String(role),
				ValidationLevel:     types.ValidationLevel(level),
			}
			if name != "" {
				req.JobName = aws.String(name)
			}
			if token != "" {
				req.ClientToken = aws.String(token)
			}
			res, err := hl.StartFHIRImportJob(cmd.Context(), req)
			if err != nil {
				return err
			}
			id := aws.ToString(res.JobId)
			if !wait {
				return describeImport(cmd, &cf, hl, datastore, id)
			}
			return waitImport(cmd, &cf, hl, datastore, id)
		},
	}
	f := start.Flags()
	f.StringVar(&in, "input", "", "input: s3://bucket/prefix, file:///path or a local path")
	f.StringVar(&out, "output", "", "output folder: s3://bucket/prefix, file:///path or a local path")
	f.StringVar(&kms, "kms-key-id", "alias/fhirlake", "KMS key id for the output (recorded; fhirlake does not encrypt with KMS)")
	f.StringVar(&role, "role-arn", "arn:aws:iam::000000000000:role/fhirlake-import", "DataAccessRoleArn (recorded)")
	f.StringVar(&level, "validation-level", "structure-only", "strict, structure-only or minimal")
	f.StringVar(&name, "name", "", "job name")
	f.StringVar(&token, "client-token", "", "idempotency token")
	f.BoolVar(&wait, "wait", false, "show a progress bar until the job ends")

	describeCmd := &cobra.Command{
		Use: "describe --datastore ID JOB_ID", Short: "Describe an import job", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if datastore == "" {
				return fmt.Errorf("--datastore is required")
			}
			hl, err := cf.healthLake()
			if err != nil {
				return err
			}
			return describeImport(cmd, &cf, hl, datastore, args[0])
		},
	}
	var status string
	list := &cobra.Command{
		Use: "list --datastore ID", Short: "List a data store's import jobs", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if datastore == "" {
				return fmt.Errorf("--datastore is required")
			}
			hl, err := cf.healthLake()
			if err != nil {
				return err
			}
			var all []types.ImportJobProperties
			p := healthlake.NewListFHIRImportJobsPaginator(hl, &healthlake.ListFHIRImportJobsInput{DatastoreId: aws.String(datastore), JobStatus: types.JobStatus(status)})
			for p.HasMorePages() {
				page, err := p.NextPage(cmd.Context())
				if err != nil {
					return err
				}
				all = append(all, page.ImportJobPropertiesList...)
			}
			return printImports(cmd.OutOrStdout(), cf.output, all)
		},
	}
	list.Flags().StringVar(&status, "status", "", "only jobs in this state (e.g. IN_PROGRESS)")
	cmd.AddCommand(start, describeCmd, list)
	return cmd
}

// location makes a local path absolute (the server reads it).
func location(s string) string {
	if strings.HasPrefix(s, "s3://") || strings.HasPrefix(s, "file://") {
		return s
	}
	if abs, err := filepath.Abs(s); err == nil {
		return abs
	}
	return s
}

func describeImport(cmd *cobra.Command, cf *clientFlags, hl *healthlake.Client, ds, id string) error {
	out, err := hl.DescribeFHIRImportJob(cmd.Context(), &healthlake.DescribeFHIRImportJobInput{DatastoreId: aws.String(ds), JobId: aws.String(id)})
	if err != nil {
		return err
	}
	return printImports(cmd.OutOrStdout(), cf.output, []types.ImportJobProperties{*out.ImportJobProperties})
}

func jobEnded(s types.JobStatus) bool {
	switch s {
	case types.JobStatusCompleted, types.JobStatusCompletedWithErrors, types.JobStatusFailed, types.JobStatusCancelCompleted, types.JobStatusCancelFailed:
		return true
	}
	return false
}

// readProgress matches the Message of a running job.
var readProgress = regexp.MustCompile(`([\d.]+) of ([\d.]+) MB read from (\d+) files`)

// waitImport draws a progress bar until the job ends.
func waitImport(cmd *cobra.Command, cf *clientFlags, hl *healthlake.Client, ds, id string) error {
	bar := newProgress(1, time.Now())
	fmt.Fprintf(os.Stderr, "import job %s\n", id)
	for {
		out, err := hl.DescribeFHIRImportJob(cmd.Context(), &healthlake.DescribeFHIRImportJobInput{DatastoreId: aws.String(ds), JobId: aws.String(id)})
		if err != nil {
			return err
		}
		p := out.ImportJobProperties
		if jobEnded(p.JobStatus) {
			bar.done()
			if err := printImports(cmd.OutOrStdout(), cf.output, []types.ImportJobProperties{*p}); err != nil {
				return err
			}
			if p.JobStatus != types.JobStatusCompleted && p.JobStatus != types.JobStatusCompletedWithErrors {
				return fmt.Errorf("import job %s is %s: %s", id, p.JobStatus, aws.ToString(p.Message))
			}
			return nil
		}
		bar.importLine(p)
		select {
		case <-cmd.Context().Done():
			return cmd.Context().Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// importLine draws files, resources, MB/s and ETA of a running job.
func (p *progress) importLine(j *types.ImportJobProperties) {
	now := time.Now()
	if !p.tty && now.Sub(p.last) < 5*time.Second {
		return
	}
	p.last = now
	var read, total float64
	planned := 0
	if m := readProgress.FindStringSubmatch(aws.ToString(j.Message)); m != nil {
		read, _ = strconv.ParseFloat(m[1], 64)
		total, _ = strconv.ParseFloat(m[2], 64)
		planned, _ = strconv.Atoi(m[3])
	}
	r := j.JobProgressReport
	var files, resources, imported int64
	if r != nil {
		files, resources, imported = aws.ToInt64(r.TotalNumberOfScannedFiles), aws.ToInt64(r.TotalNumberOfResourcesScanned), aws.ToInt64(r.TotalNumberOfResourcesImported)
	}
	secs := now.Sub(p.start).Seconds()
	rate := read / secs
	// The resources to come are estimated from those read so far.
	estimate := float64(resources)
	if read > 0 && total > read {
		estimate = float64(resources) * total / read
	}
	const width = 30
	filled := 0
	if estimate > 0 {
		filled = min(width, int(width*float64(imported)/estimate))
	}
	eta := ""
	if perSec := float64(imported) / secs; perSec > 0 && estimate > float64(imported) {
		eta = fmt.Sprintf(" eta %s", (time.Duration((estimate-float64(imported))/perSec) * time.Second).Round(time.Second))
	}
	line := fmt.Sprintf("%s [%s%s] %d/%d files  %d resources imported  %.1f MB/s read%s", j.JobStatus, strings.Repeat("=", filled), strings.Repeat(" ", width-filled),
		files, planned, imported, rate, eta)
	if p.tty {
		fmt.Fprintf(os.Stderr, "\r%s\033[K", line)
	} else {
		fmt.Fprintln(os.Stderr, line)
	}
}

func printImports(w io.Writer, format string, list []types.ImportJobProperties) error {
	switch format {
	case "json":
		type item struct {
			JobId, JobName, JobStatus, DatastoreId, Input, Output, Message, SubmitTime string
			EndTime                                                                    string `json:",omitempty"`
			Progress                                                                   *types.JobProgressReport
		}
		out := []item{}
		for _, j := range list {
			it := item{JobId: aws.ToString(j.JobId), JobName: aws.ToString(j.JobName), JobStatus: string(j.JobStatus), DatastoreId: aws.ToString(j.DatastoreId),
				Message: aws.ToString(j.Message), SubmitTime: aws.ToTime(j.SubmitTime).UTC().Format(time.RFC3339), Progress: j.JobProgressReport}
			if j.EndTime != nil {
				it.EndTime = j.EndTime.UTC().Format(time.RFC3339)
			}
			if in, ok := j.InputDataConfig.(*types.InputDataConfigMemberS3Uri); ok {
				it.Input = in.Value
			}
			if o, ok := j.JobOutputDataConfig.(*types.OutputDataConfigMemberS3Configuration); ok {
				it.Output = aws.ToString(o.Value.S3Uri)
			}
			out = append(out, it)
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	case "table", "":
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "JOB ID\tSTATUS\tSUBMITTED\tFILES\tIMPORTED\tERRORS\tMESSAGE")
		for _, j := range list {
			var files, imported, errs int64
			if r := j.JobProgressReport; r != nil {
				files, imported, errs = aws.ToInt64(r.TotalNumberOfScannedFiles), aws.ToInt64(r.TotalNumberOfResourcesImported), aws.ToInt64(r.TotalNumberOfResourcesWithCustomerError)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%d\t%s\n", aws.ToString(j.JobId), j.JobStatus, aws.ToTime(j.SubmitTime).UTC().Format("2006-01-02 15:04:05"),
				files, imported, errs, aws.ToString(j.Message))
		}
		return tw.Flush()
	}
	return fmt.Errorf("--output must be table or json, not %q", format)
}
