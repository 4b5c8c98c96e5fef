/** The one error box of a form or screen: announced by screen readers as soon as it appears. */
export function FormAlert({ title, messages }: { title?: string; messages: readonly string[] }) {
  if (messages.length === 0) {
    return null;
  }
  return (
    <div className="alert" role="alert">
      {title ? <p className="alert-title">{title}</p> : null}
      {messages.length === 1 ? (
        <p>{messages[0]}</p>
      ) : (
        <ul>
          {messages.map((message) => (
            <li key={message}>{message}</li>
          ))}
        </ul>
      )}
    </div>
  );
}
