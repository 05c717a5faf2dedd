package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/healthlake"
	"github.com/aws/aws-sdk-go-v2/service/healthlake/types"
	"github.com/spf13/cobra"
)

func datastoreCommand() *cobra.Command {
	var cf clientFlags
	cmd := &cobra.Command{Use: "datastore", Short: "Create, list, describe and delete data stores on a running server"}
	cf.register(cmd)

	var name string
	var preload, wait bool
	create := &cobra.Command{
		Use: "create", Short: "Create a data store", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			hl, err := cf.healthLake()
			if err != nil {
				return err
			}
			in := &healthlake.CreateFHIRDatastoreInput{DatastoreTypeVersion: types.FHIRVersionR4}
			if name != "" {
				in.DatastoreName = aws.String(name)
			}
			if preload {
				in.PreloadDataConfig = &types.PreloadDataConfig{PreloadDataType: types.PreloadDataTypeSynthea}
			}
			out, err := hl.CreateFHIRDatastore(cmd.Context(), in)
			if err != nil {
				return err
			}
			id := aws.ToString(out.DatastoreId)
			if wait {
				return waitAndDescribe(cmd, &cf, hl, id)
			}
			return describe(cmd, &cf, hl, id)
		},
	}
	create.Flags().StringVar(&name, "name", "", "data store name")
	create.Flags().BoolVar(&preload, "preload", false, "preload synthetic (SYNTHEA) data")
	create.Flags().BoolVar(&wait, "wait", false, "wait until the data store is ACTIVE")

	list := &cobra.Command{
		Use: "list", Short: "List data stores", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			hl, err := cf.healthLake()
			if err != nil {
				return err
			}
			var all []types.DatastoreProperties
			p := healthlake.NewListFHIRDatastoresPaginator(hl, &healthlake.ListFHIRDatastoresInput{})
			for p.HasMorePages() {
				page, err := p.NextPage(cmd.Context())
				if err != nil {
					return err
				}
				all = append(all, page.DatastorePropertiesList...)
			}
			return printDatastores(cmd.OutOrStdout(), cf.output, all)
		},
	}
	describeCmd := &cobra.Command{
		Use: "describe ID", Short: "Describe a data store", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			hl, err := cf.healthLake()
			if err != nil {
				return err
			}
			return describe(cmd, &cf, hl, args[0])
		},
	}
	del := &cobra.Command{
		Use: "delete ID", Short: "Delete a data store", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			hl, err := cf.healthLake()
			if err != nil {
				return err
			}
			if _, err := hl.DeleteFHIRDatastore(cmd.Context(), &healthlake.DeleteFHIRDatastoreInput{DatastoreId: aws.String(args[0])}); err != nil {
				return err
			}
			return describe(cmd, &cf, hl, args[0])
		},
	}
	cmd.AddCommand(create, list, describeCmd, del)
	return cmd
}

func describe(cmd *cobra.Command, cf *clientFlags, hl *healthlake.Client, id string) error {
	out, err := hl.DescribeFHIRDatastore(cmd.Context(), &healthlake.DescribeFHIRDatastoreInput{DatastoreId: aws.String(id)})
	if err != nil {
		return err
	}
	return printDatastores(cmd.OutOrStdout(), cf.output, []types.DatastoreProperties{*out.DatastoreProperties})
}

func waitAndDescribe(cmd *cobra.Command, cf *clientFlags, hl *healthlake.Client, id string) error {
	ctx, cancel := context.WithTimeout(cmd.Context(), 30*time.Minute)
	defer cancel()
	for {
		out, err := hl.DescribeFHIRDatastore(ctx, &healthlake.DescribeFHIRDatastoreInput{DatastoreId: aws.String(id)})
		if err != nil {
			return err
		}
		if out.DatastoreProperties.DatastoreStatus != types.DatastoreStatusCreating {
			if err := printDatastores(cmd.OutOrStdout(), cf.output, []types.DatastoreProperties{*out.DatastoreProperties}); err != nil {
				return err
			}
			if s := out.DatastoreProperties.DatastoreStatus; s != types.DatastoreStatusActive {
				return fmt.Errorf("data store %s is %s", id, s)
			}
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
}

func printDatastores(w io.Writer, format string, list []types.DatastoreProperties) error {
	switch format {
	case "json":
		type item struct {
			DatastoreId, DatastoreName, DatastoreStatus, DatastoreTypeVersion, DatastoreEndpoint, DatastoreArn string
			CreatedAt                                                                                          string
			ErrorCause                                                                                         *types.ErrorCause `json:",omitempty"`
		}
		out := []item{}
		for _, d := range list {
			out = append(out, item{aws.ToString(d.DatastoreId), aws.ToString(d.DatastoreName), string(d.DatastoreStatus),
				string(d.DatastoreTypeVersion), aws.ToString(d.DatastoreEndpoint), aws.ToString(d.DatastoreArn),
				aws.ToTime(d.CreatedAt).UTC().Format(time.RFC3339), d.ErrorCause})
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	case "table", "":
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tNAME\tSTATUS\tCREATED\tENDPOINT")
		for _, d := range list {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", aws.ToString(d.DatastoreId), aws.ToString(d.DatastoreName), d.DatastoreStatus,
				aws.ToTime(d.CreatedAt).UTC().Format("2006-01-02 15:04:05"), aws.ToString(d.DatastoreEndpoint))
			if d.ErrorCause != nil {
				fmt.Fprintf(tw, "\t\terror: %s\t\t\n", strings.TrimSpace(aws.ToString(d.ErrorCause.ErrorMessage)))
			}
		}
		return tw.Flush()
	}
	return fmt.Errorf("--output must be table or json, not %q", format)
}
