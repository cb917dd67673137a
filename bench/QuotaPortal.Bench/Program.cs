using System.CommandLine;

namespace QuotaPortal.Bench;

internal static class BenchProgram
{
    private static async Task<int> Main(string[] args)
    {
        var root = new RootCommand("QuotaPortal benchmarks: each prints its figures next to a baseline measured in the same run.");

        var records = new Option<int>("--records") { Description = "Records to ingest.", DefaultValueFactory = _ => 100_000 };
        var clients = new Option<int>("--clients") { Description = "Concurrent HTTP clients (a gateway fleet).", DefaultValueFactory = _ => 8 };
        var singles = new Option<int>("--singles") { Description = "Single-record POSTs for the latency run (at 200/s).", DefaultValueFactory = _ => 2000 };
        var ingest = new Command("ingest", "Ingestion throughput vs raw SQLite inserts into the same schema, and single-POST latency.") { records, clients, singles };
        ingest.SetAction((parse, ct) => IngestBenchmark.RunAsync(
            new IngestBenchmarkOptions(parse.GetValue(records), parse.GetValue(clients), Singles: parse.GetValue(singles)), Console.Out, ct));
        root.Subcommands.Add(ingest);

        var otlpRecords = new Option<int>("--records") { Description = "Calls to ingest through each endpoint.", DefaultValueFactory = _ => 50_000 };
        var otlpClients = new Option<int>("--clients") { Description = "Concurrent HTTP clients.", DefaultValueFactory = _ => 8 };
        var otlpBatch = new Option<int>("--batch") { Description = "Records (spans) per request: 512 is the OpenTelemetry SDKs' default export batch.", DefaultValueFactory = _ => 512 };
        var otlpRounds = new Option<int>("--rounds") { Description = "Rounds (the median is reported).", DefaultValueFactory = _ => 3 };
        var otlp = new Command("otlp", "OTLP GenAI spans/s into POST /v1/traces (protobuf) next to POST /api/v1/usage records/s, same calls, same run.")
        {
            otlpRecords, otlpClients, otlpBatch, otlpRounds,
        };
        otlp.SetAction((parse, ct) => OtlpBenchmark.RunAsync(new IngestBenchmarkOptions(parse.GetValue(otlpRecords), parse.GetValue(otlpClients),
            parse.GetValue(otlpBatch), Rounds: parse.GetValue(otlpRounds)), Console.Out, ct));
        root.Subcommands.Add(otlp);

        var pgServer = new Option<string?>("--postgres") { Description = "Connection string of a PostgreSQL server the benchmark may create databases on (default: QP_POSTGRES)." };
        var pgRecords = new Option<int>("--records") { Description = "Records to ingest.", DefaultValueFactory = _ => 100_000 };
        var pgRounds = new Option<int>("--rounds") { Description = "Rounds (the median is reported).", DefaultValueFactory = _ => 3 };
        var pgSingles = new Option<int>("--singles") { Description = "Single-record POSTs for the latency run (at 200/s).", DefaultValueFactory = _ => 2000 };
        var ingestPg = new Command("ingest-postgres", "Ingestion on PostgreSQL: one and two instances vs binary COPY into the same schema, and single-POST latency.")
        {
            pgServer, pgRecords, pgRounds, pgSingles,
        };
        ingestPg.SetAction((parse, ct) => PostgresIngestBenchmark.RunAsync(
            parse.GetValue(pgServer) ?? Environment.GetEnvironmentVariable("QP_POSTGRES") ?? throw new InvalidOperationException("Give --postgres or set QP_POSTGRES."),
            parse.GetValue(pgRecords), parse.GetValue(pgRounds), parse.GetValue(pgSingles), Console.Out, ct));
        root.Subcommands.Add(ingestPg);

        var memProvider = new Option<string>("--provider") { Description = "sqlite or postgres.", DefaultValueFactory = _ => "sqlite" };
        var memServer = new Option<string?>("--postgres") { Description = "PostgreSQL server connection string (default: QP_POSTGRES)." };
        var memTeams = new Option<int>("--teams") { Description = "Teams (about 62 raw records per team-day).", DefaultValueFactory = _ => 440 };
        var memDays = new Option<int>("--days") { Description = "Days of raw usage.", DefaultValueFactory = _ => 365 };
        var memory = new Command("memory", "RSS of the portal process on a database of many raw records vs the same process on an empty one.")
        {
            memProvider, memServer, memTeams, memDays,
        };
        memory.SetAction((parse, ct) => MemoryBenchmark.RunAsync(parse.GetValue(memProvider)!, parse.GetValue(memServer) ?? Environment.GetEnvironmentVariable("QP_POSTGRES"),
            parse.GetValue(memTeams), parse.GetValue(memDays), Console.Out, ct));
        root.Subcommands.Add(memory);

        var quotaTeams = new Option<int>("--teams") { Description = "Teams (two budgets each).", DefaultValueFactory = _ => 200 };
        var quotaCalls = new Option<int>("--calls") { Description = "Sequential calls per measure.", DefaultValueFactory = _ => 5000 };
        var quota = new Command("quota", "Quota-check latency over HTTP vs the HTTP floor (GET /healthz) and the in-process view.") { quotaTeams, quotaCalls };
        quota.SetAction((parse, ct) => QuotaBenchmark.RunAsync(parse.GetValue(quotaTeams), parse.GetValue(quotaCalls), Console.Out, ct));
        root.Subcommands.Add(quota);

        var forecastData = new Option<string?>("--data") { Description = "An hourly TimeStamp,Value,Label CSV (e.g. ../shared/data/anomaly-dev/api-01.csv) to score too." };
        var forecastDays = new Option<int>("--demo-days") { Description = "Days of demo data to score.", DefaultValueFactory = _ => 365 };
        var forecast = new Command("forecast", "Month-end forecast MAPE on day 5/10/20: Holt-Winters vs the plain run-rate.") { forecastData, forecastDays };
        forecast.SetAction(parse => ForecastAccuracy.Run(parse.GetValue(forecastData), parse.GetValue(forecastDays), Console.Out));
        root.Subcommands.Add(forecast);

        var analyticsTeams = new Option<int>("--teams") { Description = "Teams.", DefaultValueFactory = _ => 200 };
        var analyticsDays = new Option<int>("--days") { Description = "Days of hourly usage.", DefaultValueFactory = _ => 365 };
        var analyticsRuns = new Option<int>("--runs") { Description = "Repetitions per measure.", DefaultValueFactory = _ => 20 };
        var analyticsSeed = new Option<string?>("--seed-file") { Description = "Start from this seeded database (copied), or keep this run's seed there when it does not exist." };
        var analyticsProvider = new Option<string>("--provider") { Description = "sqlite or postgres (the SQLite seed is copied to a new PostgreSQL database with migrate-data's copier).", DefaultValueFactory = _ => "sqlite" };
        var analyticsServer = new Option<string?>("--postgres") { Description = "PostgreSQL server connection string (default: QP_POSTGRES)." };
        var analytics = new Command("analytics", "Dashboard query and evaluation tick on a year of data vs plain SQL over the same rollups.")
        {
            analyticsTeams, analyticsDays, analyticsRuns, analyticsSeed, analyticsProvider, analyticsServer,
        };
        analytics.SetAction((parse, ct) => AnalyticsBenchmark.RunAsync(parse.GetValue(analyticsTeams), parse.GetValue(analyticsDays), parse.GetValue(analyticsRuns),
            parse.GetValue(analyticsSeed), Console.Out, ct,
            parse.GetValue(analyticsProvider) == "postgres"
                ? parse.GetValue(analyticsServer) ?? Environment.GetEnvironmentVariable("QP_POSTGRES") ?? throw new InvalidOperationException("Give --postgres or set QP_POSTGRES.")
                : null));
        root.Subcommands.Add(analytics);

        // The analytics benchmark's child process: the first dashboard view right after a start.
        var firstViewDb = new Option<string>("--db") { Required = true };
        var firstViewDays = new Option<int>("--days") { DefaultValueFactory = _ => 30 };
        var firstViewMaxAge = new Option<int?>("--max-age");
        var firstViewWait = new Option<int?>("--wait");
        var firstViewProvider = new Option<string>("--provider") { DefaultValueFactory = _ => "sqlite" };
        var firstViewReady = new Option<bool>("--ready") { Description = "Wait until GET /readyz answers 200 (as a load balancer does) before the first view." };
        var firstView = new Command("first-view", "(used by analytics) Start the portal on a database and time the first dashboard call.")
        {
            firstViewDb, firstViewDays, firstViewMaxAge, firstViewWait, firstViewProvider, firstViewReady,
        };
        firstView.Hidden = true;
        firstView.SetAction((parse, ct) => AnalyticsBenchmark.FirstViewAsync(parse.GetValue(firstViewDb)!, parse.GetValue(firstViewDays), parse.GetValue(firstViewMaxAge),
            parse.GetValue(firstViewWait), Console.Out, ct, parse.GetValue(firstViewProvider) == "postgres", parse.GetValue(firstViewReady)));
        root.Subcommands.Add(firstView);

        var recTeams = new Option<int>("--teams") { Description = "Teams (one weekly budget each).", DefaultValueFactory = _ => 200 };
        var recDays = new Option<int>("--days") { Description = "Days of raw usage.", DefaultValueFactory = _ => 90 };
        var recRounds = new Option<int>("--rounds") { Description = "Rounds per measure (the median is reported).", DefaultValueFactory = _ => 5 };
        var recommendations = new Command("recommendations", "The recommendation run (load + engine + store) and the engine alone vs plain SQL over the same window.") { recTeams, recDays, recRounds };
        recommendations.SetAction((parse, ct) => RecommendationsBenchmark.RunAsync(parse.GetValue(recTeams), parse.GetValue(recDays), parse.GetValue(recRounds), Console.Out, ct));
        root.Subcommands.Add(recommendations);

        return await root.Parse(args).InvokeAsync();
    }
}
