using Microsoft.ML;
using Microsoft.ML.Data;

namespace MlNetStem.Data;

/// <summary>
/// Reads any Microsoft.ML <see cref="IDataView"/> in batches of rows held as plain arrays
/// (<see cref="DataBatch"/>). MlNetStem's own views hand their batches over directly, so a batched
/// transform (patches, featurizers, samplers) computes a whole batch at once; other views (stock
/// ML.NET transforms) are read through a row cursor.
/// </summary>
public static class DataBatchReader
{
    /// <summary>
    /// Streams the rows of <paramref name="view"/> in batches of at most <paramref name="batchSize"/> rows,
    /// reading only <paramref name="columns"/>. Each enumeration starts again from the first row.
    /// </summary>
    /// <exception cref="SchemaMismatchException">A requested column does not exist.</exception>
    /// <exception cref="NotSupportedException">A requested column has a type that cannot be held in a batch.</exception>
    public static IEnumerable<DataBatch> ReadBatches(this IDataView view, IReadOnlyCollection<string> columns, int batchSize = 256)
    {
        ArgumentNullException.ThrowIfNull(view);
        ArgumentNullException.ThrowIfNull(columns);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        foreach (var name in columns) _ = view.Schema.Get(name);
        return view is IBatchSource source ? source.ReadBatches(columns, batchSize) : ReadWithCursor(view, columns.ToArray(), batchSize);
    }

    private static IEnumerable<DataBatch> ReadWithCursor(IDataView view, string[] names, int batchSize)
    {
        var columns = names.Select(n => view.Schema[n]).ToArray();
        var schema = SchemaExtensions.Create(columns.Select(c => new DataViewSchema.DetachedColumn(c.Name, c.Type, c.Annotations)));
        using var cursor = view.GetRowCursor(columns);
        var readers = columns.Select(c => ColumnReader.Create(cursor, c)).ToArray();
        while (true)
        {
            int rows = 0;
            foreach (var r in readers) r.Start(batchSize);
            while (rows < batchSize && cursor.MoveNext())
            {
                foreach (var r in readers) r.ReadRow(rows);
                rows++;
            }
            if (rows == 0) yield break;
            yield return new DataBatch(schema, rows, names.Select((n, i) => (n, readers[i].Finish(rows)))
                .ToDictionary(p => p.n, p => p.Item2, StringComparer.Ordinal));
            if (rows < batchSize) yield break;
        }
    }

    /// <summary>Copies one column of the current row into the batch array being filled.</summary>
    private abstract class ColumnReader
    {
        public abstract void Start(int capacity);
        public abstract void ReadRow(int row);
        public abstract Array Finish(int rows);

        public static ColumnReader Create(DataViewRowCursor cursor, DataViewSchema.Column column) => ColumnTypes.KindOf(column.Type) switch
        {
            ColumnKind.Float32 => new Scalar<float>(cursor.GetGetter<float>(column)),
            ColumnKind.Float64 => new Scalar<double>(cursor.GetGetter<double>(column)),
            ColumnKind.Int32 => new Scalar<int>(cursor.GetGetter<int>(column)),
            ColumnKind.Int64 => new Scalar<long>(cursor.GetGetter<long>(column)),
            ColumnKind.Boolean => new Scalar<bool>(cursor.GetGetter<bool>(column)),
            ColumnKind.Image => new Scalar<SlideReference>(cursor.GetGetter<SlideReference>(column)),
            ColumnKind.Text => new Text(cursor.GetGetter<ReadOnlyMemory<char>>(column)),
            ColumnKind.FloatTensor when column.Type is VectorDataViewType { IsKnownSize: true } v =>
                new Vector(cursor.GetGetter<VBuffer<float>>(column), v.Size, column.Name),
            ColumnKind.FloatTensor => throw new NotSupportedException($"Column '{column.Name}' is a float vector of unknown size " +
                "({column.Type}); MlNetStem reads float vectors of a known size."),
            _ => Passing(cursor, column),
        };

        // Any other Microsoft.ML type is held as its raw values (VBuffers copied, since getters reuse their buffers).
        private static ColumnReader Passing(DataViewRowCursor cursor, DataViewSchema.Column column)
        {
            var raw = column.Type.RawType;
            var reader = raw.IsGenericType && raw.GetGenericTypeDefinition() == typeof(VBuffer<>)
                ? typeof(Buffer<>).MakeGenericType(raw.GetGenericArguments()[0])
                : typeof(Passed<>).MakeGenericType(raw);
            return (ColumnReader)Activator.CreateInstance(reader, cursor, column)!;
        }

        private sealed class Scalar<T>(ValueGetter<T> getter) : ColumnReader
        {
            private T[] _values = [];
            public override void Start(int capacity) => _values = new T[capacity];
            public override void ReadRow(int row) => getter(ref _values[row]);
            public override Array Finish(int rows) => rows == _values.Length ? _values : _values[..rows];
        }

        private sealed class Passed<T> : ColumnReader
        {
            private readonly ValueGetter<T> _getter;
            private readonly Func<T, T>? _copy;
            private T[] _values = [];
            private T _current = default!;

            public Passed(DataViewRowCursor cursor, DataViewSchema.Column column)
            {
                _getter = cursor.GetGetter<T>(column);
                if (!typeof(T).IsValueType && typeof(IDisposable).IsAssignableFrom(typeof(T)))
                {
                    // Disposable values belong to the producer until the next row: keep a copy, or refuse clearly.
                    _copy = BatchValueCopiers.Find<T>() ?? throw new NotSupportedException(
                        $"Column '{column.Name}' holds {typeof(T).Name} values, which their producer disposes row by row; MlNetStem can " +
                        "hold them in batches only with a registered copier (BatchValueCopiers.Register).");
                }
            }

            public override void Start(int capacity) => _values = new T[capacity];

            public override void ReadRow(int row)
            {
                if (_copy is null)
                {
                    _getter(ref _values[row]);
                    return;
                }
                _getter(ref _current);
                _values[row] = _current is null ? default! : _copy(_current);
            }

            public override Array Finish(int rows) => rows == _values.Length ? _values : _values[..rows];
        }

        private sealed class Buffer<T>(DataViewRowCursor cursor, DataViewSchema.Column column) : ColumnReader
        {
            private readonly ValueGetter<VBuffer<T>> _getter = cursor.GetGetter<VBuffer<T>>(column);
            private VBuffer<T>[] _values = [];
            private VBuffer<T> _current;
            public override void Start(int capacity) => _values = new VBuffer<T>[capacity];
            public override void ReadRow(int row)
            {
                _getter(ref _current);
                _current.CopyTo(ref _values[row]);
            }
            public override Array Finish(int rows) => rows == _values.Length ? _values : _values[..rows];
        }

        private sealed class Text(ValueGetter<ReadOnlyMemory<char>> getter) : ColumnReader
        {
            private string[] _values = [];
            private ReadOnlyMemory<char> _current;
            public override void Start(int capacity) => _values = new string[capacity];
            public override void ReadRow(int row)
            {
                getter(ref _current);
                _values[row] = _current.ToString();
            }
            public override Array Finish(int rows) => rows == _values.Length ? _values : _values[..rows];
        }

        private sealed class Vector(ValueGetter<VBuffer<float>> getter, int size, string name) : ColumnReader
        {
            private float[] _values = [];
            private VBuffer<float> _current;
            public override void Start(int capacity) => _values = new float[(long)capacity * size];
            public override void ReadRow(int row)
            {
                getter(ref _current);
                if (_current.Length != size)
                    throw new InvalidDataException($"Column '{name}' row holds {_current.Length} values; its type says {size}.");
                _current.CopyTo(_values.AsSpan(row * size, size));
            }
            public override Array Finish(int rows) => rows * size == _values.Length ? _values : _values[..(rows * size)];
        }
    }
}
