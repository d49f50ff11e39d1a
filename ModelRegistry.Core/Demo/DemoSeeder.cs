using System.Data.Common;
using System.Globalization;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using ModelRegistry.Core.Audit;
using ModelRegistry.Core.Cards;
using ModelRegistry.Core.Deployments;
using ModelRegistry.Core.Evaluation;
using ModelRegistry.Core.Lifecycle;
using ModelRegistry.Core.Models;
using ModelRegistry.Core.Persistence;
using ModelRegistry.Core.Security;
using ModelRegistry.Core.Versions;

namespace ModelRegistry.Core.Demo;

/// <summary>What a seeding run added.</summary>
public sealed record SeedSummary(int Models, int Versions);

/// <summary>
/// Demo content. The showcase goes through the ordinary services, exactly as a person would (stage changes are
/// requested and approved, deployments recorded); the bulk
/// path writes rows directly for scale tests — still one audit event per model and per version, chained.
/// </summary>
public sealed class DemoSeeder(
    IDbContextFactory<RegistryDbContext> dbFactory,
    ModelService models,
    VersionService versions,
    LifecycleService lifecycle,
    DeploymentService deployments,
    CardService cards,
    EvaluationService evaluations,
    Artifacts.ArtifactService artifacts,
    Artifacts.Storage.IArtifactStore store,
    TimeProvider clock)
{
    /// <summary>Decides the demo's requests: four eyes hold for the command line too, so its requests need another actor.</summary>
    internal static Actor DemoReviewer { get; } = new("system:demo-reviewer", "demo reviewer", new HashSet<string>(), IsSystem: true);

    private static readonly (string Name, string Display, string Task, string Arch, string Base, long Params, int Ctx, string Quant, WeightFormat Format, string License, string[] Tags, string Description)[] Showcase =
    [
        ("support-assistant", "Support assistant", "text-generation", "LlamaForCausalLM", "meta-llama/Llama-3.1-8B-Instruct", 8_030_261_248, 131072, "bf16", WeightFormat.Safetensors, "llama3.1", ["chat", "customer-support"], "Answers customer questions about our products, fine-tuned on resolved support tickets."),
        ("contract-summarizer", "Contract summarizer", "summarization", "MistralForCausalLM", "mistralai/Mistral-7B-Instruct-v0.3", 7_248_023_552, 32768, "bf16", WeightFormat.Safetensors, "apache-2.0", ["legal", "summarization"], "Summarises supplier contracts into obligations, dates and risks for the legal team."),
        ("code-reviewer-gguf", "Code reviewer (GGUF)", "text-generation", "qwen2", "Qwen/Qwen2.5-Coder-7B-Instruct", 7_615_616_512, 32768, "Q4_K_M", WeightFormat.Gguf, "apache-2.0", ["code", "on-device"], "Quantised code-review assistant for developer laptops."),
        ("search-embeddings", "Search embeddings", "embeddings", "BertModel", "BAAI/bge-base-en-v1.5", 109_482_240, 512, "fp32", WeightFormat.Onnx, "mit", ["embeddings", "search"], "Sentence embeddings behind the intranet search."),
        ("ticket-router", "Ticket router", "classification", "DebertaV2ForSequenceClassification", "microsoft/deberta-v3-base", 184_423_682, 512, "fp16", WeightFormat.Safetensors, "mit", ["classification", "customer-support"], "Routes incoming tickets to the right queue."),
    ];

    /// <summary>A handful of realistic models, each with three versions, lineage, a model card and evaluation results.</summary>
    public async Task<SeedSummary> SeedShowcaseAsync(CancellationToken ct)
    {
        var actor = Actor.CommandLine;
        int modelCount = 0, versionCount = 0;
        foreach (var s in Showcase)
        {
            await using (var db = await dbFactory.CreateDbContextAsync(ct))
            {
                if (await db.Models.AnyAsync(m => m.Name == s.Name, ct))
                {
                    continue; // Seeding twice adds nothing twice.
                }
            }

            await models.CreateAsync(actor, new CreateModel(s.Name, s.Display, s.Description, s.Task, s.Tags, "ML platform team"), ct);
            modelCount++;
            for (var i = 1; i <= 3; i++)
            {
                await versions.CreateAsync(actor, s.Name, new VersionInput(
                    Source: $"https://ci.example.com/training/{s.Name}/runs/{100 + i * 7}",
                    Description: i == 1 ? "First fine-tune." : $"Retrained with {i * 12}k more examples.",
                    Architecture: s.Arch,
                    BaseModel: s.Base,
                    ParameterCount: s.Params,
                    ContextLength: s.Ctx,
                    Quantization: s.Quant,
                    Format: s.Format,
                    License: s.License,
                    Tags: s.Tags,
                    ParentVersion: i > 1 ? i - 1 : null,
                    Datasets: [new DatasetInfo($"{s.Name}-train", $"2026-0{i}", $"s3://datasets/{s.Name}/v{i}/", null, "train"),
                               new DatasetInfo($"{s.Name}-eval", $"2026-0{i}", null, null, "test")]), ct);
                versionCount++;
                await SeedFilesAsync(actor, s.Name, i, s.Arch, s.Ctx, ct);
                await SeedCardAndMetricsAsync(actor, s.Name, s.Display, s.Task, s.Base, s.License, s.Tags, s.Description, i, ct);
            }

            await SeedLifecycleAsync(actor, s.Name, ct);
        }

        return new SeedSummary(modelCount, versionCount);
    }

    /// <summary>
    /// The small files a version ships besides its weights (the policy gates want at least one file before
    /// Staging): a Hugging Face config.json, which the header reader also understands, and a README.
    /// </summary>
    private async Task SeedFilesAsync(Actor actor, string model, int number, string architecture, int contextLength, CancellationToken ct)
    {
        var config = System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object>
        {
            ["architectures"] = new[] { architecture },
            ["max_position_embeddings"] = contextLength,
            ["torch_dtype"] = "bfloat16",
        });
        var readme = System.Text.Encoding.UTF8.GetBytes($"Weights of {model} v{number} live in the training bucket; this version ships its config.\n");
        foreach (var (path, bytes) in new[] { ("config.json", config), ("README.txt", readme) })
        {
            using var content = new MemoryStream(bytes, writable: false);
            await artifacts.UploadAsync(actor, model, number, path, content, new Artifacts.UploadOptions(DeclaredLength: bytes.Length), ct);
        }
    }

    /// <summary>
    /// A believable history for a showcase model: v1 went to Production and was superseded by v2 (archived, retired from
    /// prod-eu); v2 runs in staging and prod-eu; v3 waits for review with a question in its thread.
    /// </summary>
    private async Task SeedLifecycleAsync(Actor actor, string model, CancellationToken ct)
    {
        async Task MoveAsync(int number, Stage to, string why)
        {
            var request = await lifecycle.RequestAsync(actor, model, number, to, why, ct);
            await lifecycle.ApproveAsync(DemoReviewer, request.Id, "Evaluation report checked.", ct: ct);
        }

        Task DeployAsync(int number, string environment, DeploymentStatus status, int run) =>
            deployments.RecordAsync(actor, model, number, new DeploymentInput(environment, status,
                $"https://llm.example.com/{environment}/{model}", $"https://ci.example.com/deploy/{model}/runs/{run}"), ct);

        await MoveAsync(1, Stage.Staging, "First fine-tune; beats the base model on our hold-out set.");
        await DeployAsync(1, "staging", DeploymentStatus.Deployed, 11);
        await MoveAsync(1, Stage.Production, "A week on staging without incidents.");
        await DeployAsync(1, "prod-eu", DeploymentStatus.Deployed, 12);
        await MoveAsync(2, Stage.Staging, "Retrained with more examples; better on every tracked metric.");
        await DeployAsync(2, "staging", DeploymentStatus.Deployed, 21);
        await MoveAsync(2, Stage.Production, "Staging metrics hold; latency unchanged.");
        await DeployAsync(2, "prod-eu", DeploymentStatus.Deployed, 22);
        await DeployAsync(1, "prod-eu", DeploymentStatus.Retired, 23);
        var pending = await lifecycle.RequestAsync(actor, model, 3, Stage.Staging, "Adds the latest month of data.", ct);
        await lifecycle.CommentAsync(DemoReviewer, pending.Id, "Which evaluation set did you use for this one?", ct);
    }


    /// <summary>
    /// A card whose model-index carries the version's headline benchmark (imported as evaluation results when saved),
    /// and a latency measured by "the pipeline" over the API. From v2 on, the card starts as v1's copy and the save
    /// is its second revision, as it would be for a person updating the numbers.
    /// </summary>
    private async Task SeedCardAndMetricsAsync(Actor actor, string name, string display, string task, string baseModel, string license,
        string[] tags, string description, int version, CancellationToken ct)
    {
        var (benchmark, metric, start) = task switch
        {
            "embeddings" => ("MTEB retrieval", "ndcg@10", 0.512),
            "classification" => ("ticket-routing-eval", "f1", 0.861),
            "summarization" => ("contract-summaries-eval", "rougeL", 0.402),
            _ => ("MMLU", "accuracy", 0.641),
        };
        double[] gain = [0, 0.018, 0.031];
        double[] latency = [412, 388, 395];
        var value = Math.Round(start + gain[version - 1], 3).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var taskEntry = "{ type: " + task + " }";
        var datasetEntry = "{ name: " + benchmark + ", split: test }";
        var metricEntry = "{ type: " + metric + ", value: " + value + " }";
        var card = $"""
            ---
            license: {license}
            base_model: {baseModel}
            datasets:
              - {name}-train
            tags: [{string.Join(", ", tags)}]
            model-index:
              - name: {name}
                results:
                  - task: {taskEntry}
                    dataset: {datasetEntry}
                    metrics:
                      - {metricEntry}
            ---
            # {display} v{version}

            {description}

            ## Intended use

            Internal use by the teams named in the model's description, behind the usual review and logging.
            Not for decisions about individuals, and not for use outside the company.

            ## Limitations

            - English only; quality drops sharply on other languages.
            - Can state wrong facts with confidence: answers that matter need a source or a human check.
            - [x] Red-teamed for prompt injection
            - [ ] Bias audit of v{version} pending

            ## Training data

            | Data set | Version | Split |
            |---|---|---|
            | {name}-train | 2026-0{version} | train |
            | {name}-eval | 2026-0{version} | test |

            ## Evaluation

            {metric} on {benchmark} (test split): **{value}**. p95 latency measured by the
            evaluation pipeline on the staging cluster.
            """;
        await cards.SaveAsync(actor, name, version, card, version == 1 ? "First card" : $"Numbers for v{version}", ct);
        await evaluations.RecordAsync(actor, name, version,
            [new MetricInput("p95 latency", latency[version - 1], Dataset: "staging load test", HigherIsBetter: false, Unit: "ms")],
            EvaluationSource.Api, ct);
    }

    /// <summary>
    /// <paramref name="modelCount"/> models of <paramref name="versionsPerModel"/> versions each, written with
    /// prepared statements in one transaction (100k versions in seconds), audited like any other change.
    /// </summary>
    public async Task<SeedSummary> SeedBulkAsync(int modelCount, int versionsPerModel, CancellationToken ct)
    {
        // The files' bytes go to the store first, once for every version: rows may only name blobs that exist.
        var content = await DemoBulkContent.PrepareAsync(store, ct);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if (db.Database.IsNpgsql())
        {
            return await SeedBulkPostgresAsync(db, content, modelCount, versionsPerModel, ct);
        }

        var actor = Actor.CommandLine;
        var audit = new BulkAuditWriter();
        await using var tx = await db.BeginWriteTransactionAsync(ct);
        var connection = db.Database.GetDbConnection();
        var head = await db.AuditEvents.OrderByDescending(e => e.Sequence).Select(e => new { e.Sequence, e.Hash }).FirstOrDefaultAsync(ct);
        audit.Start(head?.Sequence ?? 0, head?.Hash ?? AuditChain.GenesisHash);
        var run = clock.GetUtcNow().ToUnixTimeSeconds().ToString("x", CultureInfo.InvariantCulture);

        await using var insertModel = Prepare(connection, tx.GetDbTransaction(),
            "INSERT INTO Models (Name, DisplayName, Description, Task, Owner, Tags, CreatedByUserId, CreatedAt, UpdatedAt, LastVersionNumber, VersionCount) " +
            "VALUES ($name, $display, $description, $task, $owner, $tags, $by, $at, $at, $last, $last) RETURNING Id",
            "$name", "$display", "$description", "$task", "$owner", "$tags", "$by", "$at", "$last");
        await using var insertVersion = Prepare(connection, tx.GetDbTransaction(),
            "INSERT INTO Versions (ModelId, Number, Stage, CreatedByUserId, CreatedBy, CreatedAt, UpdatedAt, Source, Architecture, BaseModel, " +
            "ParameterCount, ContextLength, Quantization, Format, License, MetadataTags, ParentVersionNumber, Datasets, Digest) " +
            "VALUES ($model, $number, 'None', $by, $byName, $at, $at, $source, 'LlamaForCausalLM', 'meta-llama/Llama-3.1-8B', " +
            "8030261248, 131072, 'bf16', 'Safetensors', 'llama3.1', '[]', $parent, '[]', $digest) RETURNING Id",
            "$model", "$number", "$by", "$byName", "$at", "$source", "$parent", "$digest");
        await using var insertArtifact = Prepare(connection, tx.GetDbTransaction(),
            "INSERT INTO Artifacts (VersionId, Path, Sha256, Size, ContentType, Kind, UnsafeFormat, HeaderProblem, HeaderJson, " +
            "UploadedByUserId, UploadedBy, UploadedAt) VALUES ($version, $path, $sha, $size, $type, $kind, 0, NULL, $header, $by, $byName, $at)",
            "$version", "$path", "$sha", "$size", "$type", "$kind", "$header", "$by", "$byName", "$at");
        await using var insertCard = Prepare(connection, tx.GetDbTransaction(),
            "INSERT INTO CardRevisions (VersionId, Number, Markdown, Sha256, SizeBytes, AuthorUserId, Author, CreatedAt, Comment) " +
            "VALUES ($version, 1, $markdown, $sha, $size, $by, $byName, $at, 'seed-demo')",
            "$version", "$markdown", "$sha", "$size", "$by", "$byName", "$at");
        await using var insertMetric = Prepare(connection, tx.GetDbTransaction(),
            "INSERT INTO EvaluationResults (VersionId, Name, Value, Dataset, Split, HigherIsBetter, Unit, Source, RecordedByUserId, " +
            "RecordedBy, RecordedAt, AfterApproval) VALUES ($version, $name, $value, $dataset, $split, $higher, $unit, 'Api', $by, $byName, $at, 0)",
            "$version", "$name", "$value", "$dataset", "$split", "$higher", "$unit", "$by", "$byName", "$at");
        await using var insertAudit = Prepare(connection, tx.GetDbTransaction(),
            "INSERT INTO AuditEvents (Sequence, Time, ActorId, ActorName, Action, EntityType, EntityId, ModelName, Data, PreviousHash, Hash) " +
            "VALUES ($seq, $time, $actorId, $actorName, $action, $entityType, $entityId, $modelName, $data, $prev, $hash)",
            "$seq", "$time", "$actorId", "$actorName", "$action", "$entityType", "$entityId", "$modelName", "$data", "$prev", "$hash");

        var tasks = new[] { "text-generation", "embeddings", "classification", "summarization" };
        for (var i = 0; i < modelCount; i++)
        {
            var now = clock.GetUtcNow();
            var name = $"bulk-{run}-{i:D6}";
            var task = tasks[i % tasks.Length];
            var tags = JsonSerializer.Serialize(new[] { "bulk", task });
            Set(insertModel, name, name, "Generated by seed-demo for scale tests.", task, "seed-demo", tags, actor.UserId,
                Ticks(now), versionsPerModel);
            var modelId = (long)(await insertModel.ExecuteScalarAsync(ct))!;
            await audit.WriteAsync(insertAudit, now, actor, AuditActions.ModelCreated, AuditEntities.Model, name, name,
                new { name, task, bulk = true }, ct);
            var template = new RegisteredModel(name, actor.UserId, "seed-demo", now); // only its name is read
            for (var v = 1; v <= versionsPerModel; v++)
            {
                var metrics = DemoBulkContent.MetricsFor(i, v);
                var card = DemoBulkContent.CardFor(name, task, v, metrics);
                Set(insertVersion, modelId, v, actor.UserId, actor.DisplayName, Ticks(now), $"seed-demo run {run}",
                    v > 1 ? v - 1 : DBNull.Value, SeededDigest(template, v, $"seed-demo run {run}", now, content, card.Sha256));
                var versionId = (long)(await insertVersion.ExecuteScalarAsync(ct))!;
                foreach (var f in content.Files)
                {
                    Set(insertArtifact, versionId, f.Path, f.Sha256, (long)f.Bytes.Length, f.ContentType, f.Inspection.Kind.ToString(),
                        (object?)f.HeaderJson ?? DBNull.Value, actor.UserId, actor.DisplayName, Ticks(now));
                    await insertArtifact.ExecuteNonQueryAsync(ct);
                }

                Set(insertCard, versionId, card.Markdown, card.Sha256, card.Size, actor.UserId, actor.DisplayName, Ticks(now));
                await insertCard.ExecuteNonQueryAsync(ct);
                foreach (var m in metrics)
                {
                    Set(insertMetric, versionId, m.Name, m.Value, (object?)m.Dataset ?? DBNull.Value, (object?)m.Split ?? DBNull.Value,
                        m.HigherIsBetter ? 1 : 0, (object?)m.Unit ?? DBNull.Value, actor.UserId, actor.DisplayName, Ticks(now));
                    await insertMetric.ExecuteNonQueryAsync(ct);
                }

                await audit.WriteAsync(insertAudit, now, actor, AuditActions.VersionCreated, AuditEntities.Version,
                    $"{name}/{v}", name, BulkVersionData(v, content, card, metrics), ct);
            }
        }

        await tx.CommitAsync(ct);
        return new SeedSummary(modelCount, modelCount * versionsPerModel);
    }

    /// <summary>
    /// The same data set on PostgreSQL, streamed with binary COPY (one round trip per table instead of one per row):
    /// model ids are drawn from the table's identity sequence first, then models, versions and the audit events
    /// are copied in that order, the events hashed in the same order as on SQLite.
    /// </summary>
    private async Task<SeedSummary> SeedBulkPostgresAsync(RegistryDbContext db, DemoBulkContent content, int modelCount,
        int versionsPerModel, CancellationToken ct)
    {
        var actor = Actor.CommandLine;
        await using var tx = await db.BeginWriteTransactionAsync(ct);
        var connection = (Npgsql.NpgsqlConnection)db.Database.GetDbConnection();
        var head = await db.AuditEvents.OrderByDescending(e => e.Sequence).Select(e => new { e.Sequence, e.Hash }).FirstOrDefaultAsync(ct);
        var audit = new BulkAuditWriter();
        audit.Start(head?.Sequence ?? 0, head?.Hash ?? AuditChain.GenesisHash);
        var run = clock.GetUtcNow().ToUnixTimeSeconds().ToString("x", CultureInfo.InvariantCulture);
        var tasks = new[] { "text-generation", "embeddings", "classification", "summarization" };
        string ModelName(int i) => $"bulk-{run}-{i:D6}";
        string ModelTask(int i) => tasks[i % tasks.Length];

        var ids = new List<long>(modelCount);
        await using (var next = new Npgsql.NpgsqlCommand(
            "SELECT nextval(pg_get_serial_sequence('\"Models\"', 'Id')) FROM generate_series(1, @n)", connection))
        {
            next.Parameters.AddWithValue("n", modelCount);
            await using var reader = await next.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                ids.Add(reader.GetInt64(0));
            }
        }

        var times = new DateTimeOffset[modelCount];
        await using (var models = await connection.BeginBinaryImportAsync(
            "COPY \"Models\" (\"Id\", \"Name\", \"DisplayName\", \"Description\", \"Task\", \"Owner\", \"Tags\", \"CreatedByUserId\", " +
            "\"CreatedAt\", \"UpdatedAt\", \"LastVersionNumber\", \"VersionCount\") FROM STDIN (FORMAT BINARY)", ct))
        {
            for (var i = 0; i < modelCount; i++)
            {
                times[i] = clock.GetUtcNow().ToUniversalTime();
                await models.StartRowAsync(ct);
                await models.WriteAsync(ids[i], NpgsqlTypes.NpgsqlDbType.Bigint, ct);
                await models.WriteAsync(ModelName(i), NpgsqlTypes.NpgsqlDbType.Text, ct);
                await models.WriteAsync(ModelName(i), NpgsqlTypes.NpgsqlDbType.Text, ct);
                await models.WriteAsync("Generated by seed-demo for scale tests.", NpgsqlTypes.NpgsqlDbType.Text, ct);
                await models.WriteAsync(ModelTask(i), NpgsqlTypes.NpgsqlDbType.Text, ct);
                await models.WriteAsync("seed-demo", NpgsqlTypes.NpgsqlDbType.Text, ct);
                await models.WriteAsync(new[] { "bulk", ModelTask(i) }, NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Text, ct);
                await models.WriteAsync(actor.UserId, NpgsqlTypes.NpgsqlDbType.Text, ct);
                await models.WriteAsync(times[i], NpgsqlTypes.NpgsqlDbType.TimestampTz, ct);
                await models.WriteAsync(times[i], NpgsqlTypes.NpgsqlDbType.TimestampTz, ct);
                await models.WriteAsync(versionsPerModel, NpgsqlTypes.NpgsqlDbType.Integer, ct);
                await models.WriteAsync(versionsPerModel, NpgsqlTypes.NpgsqlDbType.Integer, ct);
            }

            await models.CompleteAsync(ct);
        }

        await using (var versions = await connection.BeginBinaryImportAsync(
            "COPY \"Versions\" (\"ModelId\", \"Number\", \"Stage\", \"ContentRevision\", \"CreatedByUserId\", \"CreatedBy\", \"CreatedAt\", " +
            "\"UpdatedAt\", \"Source\", \"Architecture\", \"BaseModel\", \"ParameterCount\", \"ContextLength\", \"Quantization\", \"Format\", " +
            "\"License\", \"MetadataTags\", \"ParentVersionNumber\", \"Datasets\", \"Digest\") FROM STDIN (FORMAT BINARY)", ct))
        {
            for (var i = 0; i < modelCount; i++)
            {
                var template = new RegisteredModel(ModelName(i), actor.UserId, "seed-demo", times[i]); // only its name is read
                for (var v = 1; v <= versionsPerModel; v++)
                {
                    await versions.StartRowAsync(ct);
                    await versions.WriteAsync(ids[i], NpgsqlTypes.NpgsqlDbType.Bigint, ct);
                    await versions.WriteAsync(v, NpgsqlTypes.NpgsqlDbType.Integer, ct);
                    await versions.WriteAsync("None", NpgsqlTypes.NpgsqlDbType.Varchar, ct);
                    await versions.WriteAsync(0, NpgsqlTypes.NpgsqlDbType.Integer, ct);
                    await versions.WriteAsync(actor.UserId, NpgsqlTypes.NpgsqlDbType.Text, ct);
                    await versions.WriteAsync(actor.DisplayName, NpgsqlTypes.NpgsqlDbType.Varchar, ct);
                    await versions.WriteAsync(times[i], NpgsqlTypes.NpgsqlDbType.TimestampTz, ct);
                    await versions.WriteAsync(times[i], NpgsqlTypes.NpgsqlDbType.TimestampTz, ct);
                    await versions.WriteAsync($"seed-demo run {run}", NpgsqlTypes.NpgsqlDbType.Varchar, ct);
                    await versions.WriteAsync("LlamaForCausalLM", NpgsqlTypes.NpgsqlDbType.Varchar, ct);
                    await versions.WriteAsync("meta-llama/Llama-3.1-8B", NpgsqlTypes.NpgsqlDbType.Varchar, ct);
                    await versions.WriteAsync(8030261248L, NpgsqlTypes.NpgsqlDbType.Bigint, ct);
                    await versions.WriteAsync(131072, NpgsqlTypes.NpgsqlDbType.Integer, ct);
                    await versions.WriteAsync("bf16", NpgsqlTypes.NpgsqlDbType.Varchar, ct);
                    await versions.WriteAsync("Safetensors", NpgsqlTypes.NpgsqlDbType.Varchar, ct);
                    await versions.WriteAsync("llama3.1", NpgsqlTypes.NpgsqlDbType.Varchar, ct);
                    await versions.WriteAsync(Array.Empty<string>(), NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Text, ct);
                    if (v > 1)
                    {
                        await versions.WriteAsync(v - 1, NpgsqlTypes.NpgsqlDbType.Integer, ct);
                    }
                    else
                    {
                        await versions.WriteNullAsync(ct);
                    }

                    await versions.WriteAsync("[]", NpgsqlTypes.NpgsqlDbType.Jsonb, ct);
                    var card = DemoBulkContent.CardFor(ModelName(i), ModelTask(i), v, DemoBulkContent.MetricsFor(i, v));
                    await versions.WriteAsync(SeededDigest(template, v, $"seed-demo run {run}", times[i], content, card.Sha256),
                        NpgsqlTypes.NpgsqlDbType.Varchar, ct);
                }
            }

            await versions.CompleteAsync(ct);
        }

        // The versions' ids, for their files, cards and results (COPY returns none).
        var versionIds = new Dictionary<(long Model, int Number), long>(modelCount * versionsPerModel);
        await using (var query = new Npgsql.NpgsqlCommand(
            "SELECT \"Id\", \"ModelId\", \"Number\" FROM \"Versions\" WHERE \"ModelId\" = ANY(@ids)", connection))
        {
            query.Parameters.AddWithValue("ids", ids.ToArray());
            await using var reader = await query.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                versionIds[(reader.GetInt64(1), reader.GetInt32(2))] = reader.GetInt64(0);
            }
        }

        await using (var files = await connection.BeginBinaryImportAsync(
            "COPY \"Artifacts\" (\"VersionId\", \"Path\", \"Sha256\", \"Size\", \"ContentType\", \"Kind\", \"UnsafeFormat\", " +
            "\"HeaderJson\", \"UploadedByUserId\", \"UploadedBy\", \"UploadedAt\") FROM STDIN (FORMAT BINARY)", ct))
        {
            for (var i = 0; i < modelCount; i++)
            {
                for (var v = 1; v <= versionsPerModel; v++)
                {
                    foreach (var f in content.Files)
                    {
                        await files.StartRowAsync(ct);
                        await files.WriteAsync(versionIds[(ids[i], v)], NpgsqlTypes.NpgsqlDbType.Bigint, ct);
                        await files.WriteAsync(f.Path, NpgsqlTypes.NpgsqlDbType.Varchar, ct);
                        await files.WriteAsync(f.Sha256, NpgsqlTypes.NpgsqlDbType.Varchar, ct);
                        await files.WriteAsync((long)f.Bytes.Length, NpgsqlTypes.NpgsqlDbType.Bigint, ct);
                        await files.WriteAsync(f.ContentType, NpgsqlTypes.NpgsqlDbType.Varchar, ct);
                        await files.WriteAsync(f.Inspection.Kind.ToString(), NpgsqlTypes.NpgsqlDbType.Varchar, ct);
                        await files.WriteAsync(false, NpgsqlTypes.NpgsqlDbType.Boolean, ct);
                        if (f.HeaderJson is null)
                        {
                            await files.WriteNullAsync(ct);
                        }
                        else
                        {
                            await files.WriteAsync(f.HeaderJson, NpgsqlTypes.NpgsqlDbType.Text, ct);
                        }

                        await files.WriteAsync(actor.UserId, NpgsqlTypes.NpgsqlDbType.Varchar, ct);
                        await files.WriteAsync(actor.DisplayName, NpgsqlTypes.NpgsqlDbType.Varchar, ct);
                        await files.WriteAsync(times[i], NpgsqlTypes.NpgsqlDbType.TimestampTz, ct);
                    }
                }
            }

            await files.CompleteAsync(ct);
        }

        await using (var cards = await connection.BeginBinaryImportAsync(
            "COPY \"CardRevisions\" (\"VersionId\", \"Number\", \"Markdown\", \"Sha256\", \"SizeBytes\", \"AuthorUserId\", \"Author\", " +
            "\"CreatedAt\", \"Comment\") FROM STDIN (FORMAT BINARY)", ct))
        {
            for (var i = 0; i < modelCount; i++)
            {
                for (var v = 1; v <= versionsPerModel; v++)
                {
                    var card = DemoBulkContent.CardFor(ModelName(i), ModelTask(i), v, DemoBulkContent.MetricsFor(i, v));
                    await cards.StartRowAsync(ct);
                    await cards.WriteAsync(versionIds[(ids[i], v)], NpgsqlTypes.NpgsqlDbType.Bigint, ct);
                    await cards.WriteAsync(1, NpgsqlTypes.NpgsqlDbType.Integer, ct);
                    await cards.WriteAsync(card.Markdown, NpgsqlTypes.NpgsqlDbType.Text, ct);
                    await cards.WriteAsync(card.Sha256, NpgsqlTypes.NpgsqlDbType.Varchar, ct);
                    await cards.WriteAsync(card.Size, NpgsqlTypes.NpgsqlDbType.Integer, ct);
                    await cards.WriteAsync(actor.UserId, NpgsqlTypes.NpgsqlDbType.Varchar, ct);
                    await cards.WriteAsync(actor.DisplayName, NpgsqlTypes.NpgsqlDbType.Varchar, ct);
                    await cards.WriteAsync(times[i], NpgsqlTypes.NpgsqlDbType.TimestampTz, ct);
                    await cards.WriteAsync("seed-demo", NpgsqlTypes.NpgsqlDbType.Varchar, ct);
                }
            }

            await cards.CompleteAsync(ct);
        }

        await using (var results = await connection.BeginBinaryImportAsync(
            "COPY \"EvaluationResults\" (\"VersionId\", \"Name\", \"Value\", \"Dataset\", \"Split\", \"HigherIsBetter\", \"Unit\", " +
            "\"Source\", \"RecordedByUserId\", \"RecordedBy\", \"RecordedAt\", \"AfterApproval\") FROM STDIN (FORMAT BINARY)", ct))
        {
            async Task TextOrNullAsync(string? value)
            {
                if (value is null)
                {
                    await results.WriteNullAsync(ct);
                }
                else
                {
                    await results.WriteAsync(value, NpgsqlTypes.NpgsqlDbType.Varchar, ct);
                }
            }

            for (var i = 0; i < modelCount; i++)
            {
                for (var v = 1; v <= versionsPerModel; v++)
                {
                    foreach (var m in DemoBulkContent.MetricsFor(i, v))
                    {
                        await results.StartRowAsync(ct);
                        await results.WriteAsync(versionIds[(ids[i], v)], NpgsqlTypes.NpgsqlDbType.Bigint, ct);
                        await results.WriteAsync(m.Name, NpgsqlTypes.NpgsqlDbType.Varchar, ct);
                        await results.WriteAsync(m.Value, NpgsqlTypes.NpgsqlDbType.Double, ct);
                        await TextOrNullAsync(m.Dataset);
                        await TextOrNullAsync(m.Split);
                        await results.WriteAsync(m.HigherIsBetter, NpgsqlTypes.NpgsqlDbType.Boolean, ct);
                        await TextOrNullAsync(m.Unit);
                        await results.WriteAsync("Api", NpgsqlTypes.NpgsqlDbType.Varchar, ct);
                        await results.WriteAsync(actor.UserId, NpgsqlTypes.NpgsqlDbType.Varchar, ct);
                        await results.WriteAsync(actor.DisplayName, NpgsqlTypes.NpgsqlDbType.Varchar, ct);
                        await results.WriteAsync(times[i], NpgsqlTypes.NpgsqlDbType.TimestampTz, ct);
                        await results.WriteAsync(false, NpgsqlTypes.NpgsqlDbType.Boolean, ct);
                    }
                }
            }

            await results.CompleteAsync(ct);
        }

        await using (var events = await connection.BeginBinaryImportAsync(
            "COPY \"AuditEvents\" (\"Sequence\", \"Time\", \"ActorId\", \"ActorName\", \"Action\", \"EntityType\", \"EntityId\", " +
            "\"ModelName\", \"Data\", \"PreviousHash\", \"Hash\") FROM STDIN (FORMAT BINARY)", ct))
        {
            for (var i = 0; i < modelCount; i++)
            {
                var (name, task) = (ModelName(i), ModelTask(i));
                await WriteEventAsync(events, audit.Next(times[i], actor, AuditActions.ModelCreated, AuditEntities.Model, name, name,
                    new { name, task, bulk = true }), ct);
                for (var v = 1; v <= versionsPerModel; v++)
                {
                    var metrics = DemoBulkContent.MetricsFor(i, v);
                    var card = DemoBulkContent.CardFor(name, task, v, metrics);
                    await WriteEventAsync(events, audit.Next(times[i], actor, AuditActions.VersionCreated, AuditEntities.Version,
                        $"{name}/{v}", name, BulkVersionData(v, content, card, metrics)), ct);
                }
            }

            await events.CompleteAsync(ct);
        }

        await tx.CommitAsync(ct);
        // Statistics and the visibility map now, while seeding: the planner pages the new rows by index at once, and
        // autovacuum does not descend on 100k fresh rows while the registry serves its first requests.
        await db.Database.ExecuteSqlRawAsync(
            "VACUUM (ANALYZE) \"Models\", \"Versions\", \"Artifacts\", \"CardRevisions\", \"EvaluationResults\", \"AuditEvents\"", ct);
        return new SeedSummary(modelCount, modelCount * versionsPerModel);
    }

    private static async Task WriteEventAsync(Npgsql.NpgsqlBinaryImporter events, BulkAuditEvent e, CancellationToken ct)
    {
        await events.StartRowAsync(ct);
        await events.WriteAsync(e.Sequence, NpgsqlTypes.NpgsqlDbType.Bigint, ct);
        await events.WriteAsync(e.Time, NpgsqlTypes.NpgsqlDbType.TimestampTz, ct);
        await events.WriteAsync(e.Actor.UserId, NpgsqlTypes.NpgsqlDbType.Varchar, ct);
        await events.WriteAsync(e.Actor.DisplayName, NpgsqlTypes.NpgsqlDbType.Varchar, ct);
        await events.WriteAsync(e.Action, NpgsqlTypes.NpgsqlDbType.Varchar, ct);
        await events.WriteAsync(e.EntityType, NpgsqlTypes.NpgsqlDbType.Varchar, ct);
        await events.WriteAsync(e.EntityId, NpgsqlTypes.NpgsqlDbType.Varchar, ct);
        await events.WriteAsync(e.ModelName, NpgsqlTypes.NpgsqlDbType.Varchar, ct);
        await events.WriteAsync(e.Data, NpgsqlTypes.NpgsqlDbType.Text, ct);
        await events.WriteAsync(e.PreviousHash, NpgsqlTypes.NpgsqlDbType.Varchar, ct);
        await events.WriteAsync(e.Hash, NpgsqlTypes.NpgsqlDbType.Varchar, ct);
    }

    // One converter for the whole run: building one compiles its conversion expression, which cost more than
    // the inserts themselves when it was done twice per version.
    private static readonly Microsoft.EntityFrameworkCore.Storage.ValueConversion.DateTimeOffsetToBinaryConverter TimeConverter = new();

    /// <summary>The stored form of a DateTimeOffset on SQLite (DateTimeOffsetToBinaryConverter).</summary>
    private static long Ticks(DateTimeOffset t) => TimeConverter.ConvertToProvider(t) is long l ? l : 0;

    private static DbCommand Prepare(DbConnection connection, DbTransaction tx, string sql, params string[] parameters)
    {
        var command = connection.CreateCommand();
        command.Transaction = tx;
        command.CommandText = sql;
        foreach (var p in parameters)
        {
            var parameter = command.CreateParameter();
            parameter.ParameterName = p;
            command.Parameters.Add(parameter);
        }

        command.Prepare();
        return command;
    }

    /// <summary>
    /// What the audit event of a bulk-seeded version records: its number and how much it was given (kept short: the audit
    /// log's text index reads every byte of it, and at 100k versions that is most of the seeding time).
    /// </summary>
    private static object BulkVersionData(int number, DemoBulkContent content, DemoBulkContent.Card card,
        IReadOnlyList<DemoBulkContent.Metric> metrics) => new
        {
            number,
            bulk = true,
            files = content.Files.Count,
            card = card.Size > 0,
            metrics = metrics.Count,
        };

    /// <summary>
    /// The digest of a bulk-seeded version, computed as it is inserted (its files, its card and the fields both bulk paths
    /// write), so seeding does not pay for a second pass over 100k rows.
    /// </summary>
    private static string SeededDigest(RegisteredModel model, int number, string source, DateTimeOffset now,
        DemoBulkContent content, string cardSha256)
    {
        var modelName = model.Name;
        var version = new ModelVersion(model, number,
            Actor.CommandLine.UserId, Actor.CommandLine.DisplayName, now)
        {
            Source = source,
            ParentVersionNumber = number > 1 ? number - 1 : null,
            Metadata = new LlmMetadata
            {
                Architecture = "LlamaForCausalLM",
                BaseModel = "meta-llama/Llama-3.1-8B",
                ParameterCount = 8030261248L,
                ContextLength = 131072,
                Quantization = "bf16",
                Format = WeightFormat.Safetensors,
                License = "llama3.1",
            },
        };
        return VersionManifest.Of(modelName, version, content.ManifestFiles, cardSha256).Digest;
    }

    private static void Set(DbCommand command, params object?[] values)
    {
        for (var i = 0; i < values.Length; i++)
        {
            command.Parameters[i].Value = values[i] ?? DBNull.Value;
        }
    }

    /// <summary>Continues the audit chain with raw inserts, hashing exactly as <see cref="AuditTrail"/> does.</summary>
    private sealed class BulkAuditWriter
    {
        private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
        private long _sequence;
        private string _previous = AuditChain.GenesisHash;

        public void Start(long sequence, string hash) => (_sequence, _previous) = (sequence, hash);

        public async Task WriteAsync(DbCommand insert, DateTimeOffset time, Actor actor, string action, string entityType,
            string entityId, string? modelName, object data, CancellationToken ct)
        {
            var e = Next(time, actor, action, entityType, entityId, modelName, data);
            Set(insert, e.Sequence, Ticks(e.Time), actor.UserId, actor.DisplayName, action, entityType, entityId, modelName, e.Data,
                e.PreviousHash, e.Hash);
            await insert.ExecuteNonQueryAsync(ct);
        }

        /// <summary>The next event of the chain, hashed; the caller writes it.</summary>
        public BulkAuditEvent Next(DateTimeOffset time, Actor actor, string action, string entityType, string entityId,
            string? modelName, object data)
        {
            var sequence = ++_sequence;
            time = AuditChain.StoredTime(time);
            var json = JsonSerializer.Serialize(data, Json);
            var hash = AuditChain.ComputeHash(sequence, time, actor.UserId, actor.DisplayName, action, entityType, entityId, modelName, json, _previous);
            var e = new BulkAuditEvent(sequence, time, actor, action, entityType, entityId, modelName, json, _previous, hash);
            _previous = hash;
            return e;
        }
    }
}

/// <summary>One audit event of a bulk seed, hashed into the chain.</summary>
internal sealed record BulkAuditEvent(long Sequence, DateTimeOffset Time, Actor Actor, string Action, string EntityType,
    string EntityId, string? ModelName, string Data, string PreviousHash, string Hash);
