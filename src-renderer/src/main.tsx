import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { connect } from './connect';
import './styles.css';

const root = createRoot(document.getElementById('root') as HTMLElement);
connect().then(
  (client) =>
    root.render(
      <StrictMode>
        <App client={client} />
      </StrictMode>,
    ),
  (err: Error) => root.render(<p className="fatal">{err.message}</p>),
);
